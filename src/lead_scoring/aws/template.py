"""Read the SAM template and resolve the names and settings it declares for a local stage."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lead_scoring import paths

TEMPLATE_PATH = Path("infra") / "template.yaml"
LOCAL_ACCOUNT_ID = "123456789012"
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class _TemplateLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation's short-form tags as their long form."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path | None = None) -> dict[str, Any]:
    """Parse the SAM template; CloudFormation tags become ``{"Ref": ...}``-style mappings."""
    path = path or paths.project_dir() / TEMPLATE_PATH
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_TemplateLoader)  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(document, dict) or "Resources" not in document:
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


@dataclass
class Resolver:
    """Resolve intrinsic functions for one stage of the template.

    ``physical`` maps a logical id to the values its Ref and attributes resolve to; conditions
    are evaluated from parameter values only, which covers the Equals and Not this template
    uses.
    """

    template: dict[str, Any]
    region: str
    parameters: dict[str, str] = field(default_factory=dict)
    physical: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        declared = self.template.get("Parameters", {})
        values = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
        values.update(self.parameters)
        self.parameters = values

    def pseudo(self, name: str) -> str:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "lead-scoring-local",
        }[name]

    def ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if name.startswith("AWS::"):
            return self.pseudo(name)
        return self.physical[name]["Ref"]

    def get_att(self, logical_id: str, attribute: str) -> str:
        return self.physical[logical_id][attribute]

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {key: self.resolve(item) for key, item in value.items()}
        ((key, argument),) = value.items()
        if key == "Ref":
            return self.ref(argument)
        if key == "Fn::GetAtt":
            return self.get_att(*argument)
        if key == "Fn::Sub":
            return self._sub(argument)
        if key == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return left == right
        if key == "Fn::Not":
            return not self.resolve(argument[0])
        if key == "Fn::If":
            name, when_true, when_false = argument
            return self.resolve(when_true if self.condition(name) else when_false)
        return {key: self.resolve(argument)}

    def _sub(self, argument: Any) -> str:
        text = argument if isinstance(argument, str) else argument[0]

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return _SUB_VARIABLE.sub(replace, text)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == resource_type
    }


def function_environment(
    template: dict[str, Any], resolver: Resolver, logical_id: str
) -> dict[str, str]:
    """Return a function's environment: the Globals merged with its own variables, resolved."""
    global_vars = (
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    own = (
        template["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    )
    merged = {**global_vars, **own}
    return {name: str(resolver.resolve(value)) for name, value in merged.items()}
