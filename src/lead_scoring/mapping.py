"""The YAML mapping that sets which CSV column becomes which source field.

Example::

    lead_id: Prospect ID            # column holding the lead id (required)
    missing_values: ["", Select]    # cell values meaning "no value" (trimmed, any case)
    booleans: {"Yes": "yes", "No": "no"}   # cell value -> stored text (any case)
    numbers: [TotalVisits]          # columns checked and written as plain decimals
    leads:                          # raw.leads field -> column
      country: Country
    constants:                      # raw.leads field -> the same text on every row
      lead_source: Spring fair
    attributes:                     # attribute name -> column, or a list of columns
      lead_number: Lead Number
    conversion:                     # optional: a column whose value means "converted"
      column: Converted
      values: ["1"]
      conversion_type: won
      converted_at: Close Date      # optional column
      amount: Deal Value            # optional column
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lead_scoring.warehouse import RAW_TABLES

LEAD_FIELDS = tuple(name for name in RAW_TABLES["leads"] if name != "lead_id")
TOP_LEVEL_KEYS = {
    "description",
    "lead_id",
    "missing_values",
    "booleans",
    "numbers",
    "leads",
    "constants",
    "attributes",
    "conversion",
}
CONVERSION_KEYS = {"column", "values", "conversion_type", "converted_at", "amount"}


class MappingError(ValueError):
    """A mapping file is invalid or does not fit the CSV it is applied to."""


@dataclass(frozen=True)
class ConversionMapping:
    column: str
    values: frozenset[str]
    conversion_type: str = "won"
    converted_at: str | None = None
    amount: str | None = None


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping; column names are CSV header names."""

    source: str
    lead_id: str
    leads: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    missing_values: frozenset[str] = frozenset({""})
    booleans: dict[str, str] = field(default_factory=dict)
    numbers: frozenset[str] = frozenset()
    conversion: ConversionMapping | None = None

    def columns(self) -> list[str]:
        """Return every CSV column the mapping reads, in a stable order without repeats."""
        names = [self.lead_id, *self.leads.values(), *self.attributes.values(), *self.numbers]
        if self.conversion is not None:
            conversion = self.conversion
            names += [conversion.column, conversion.converted_at, conversion.amount]
        return list(dict.fromkeys(name for name in names if name is not None))


def snake_case(name: str) -> str:
    """Turn a column header such as 'Do Not Email' into an attribute name ('do_not_email')."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; raise MappingError with the problem and the file."""
    if not path.is_file():
        raise MappingError(f"mapping file not found: {path}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        detail = str(error).replace("\n", " ")
        raise MappingError(f"mapping {path} is not valid YAML: {detail}") from error
    try:
        return parse_mapping(document, source=str(path))
    except MappingError as error:
        raise MappingError(f"mapping {path}: {error}") from error


def parse_mapping(document: Any, source: str = "<mapping>") -> Mapping:
    """Validate a mapping already read from YAML."""
    if not isinstance(document, dict):
        raise MappingError("expected a YAML mapping with at least a lead_id key")
    unknown = sorted(set(document) - TOP_LEVEL_KEYS)
    if unknown:
        raise MappingError(
            f"unknown key {unknown[0]!r}; expected one of: {', '.join(sorted(TOP_LEVEL_KEYS))}"
        )
    lead_id = document.get("lead_id")
    if not isinstance(lead_id, str) or not lead_id.strip():
        raise MappingError("lead_id is missing; set it to the CSV column that contains the lead id")
    return Mapping(
        source=source,
        lead_id=lead_id,
        leads=_lead_fields(document.get("leads"), "leads"),
        constants=_lead_fields(document.get("constants"), "constants"),
        attributes=_attributes(document.get("attributes")),
        missing_values=frozenset(
            value.strip().lower() for value in _text_list(document, "missing_values", [""])
        ),
        booleans={
            key.strip().lower(): value
            for key, value in _text_dict(document.get("booleans"), "booleans").items()
        },
        numbers=frozenset(_text_list(document, "numbers", [])),
        conversion=_conversion(document.get("conversion")),
    )


def _lead_fields(value: Any, key: str) -> dict[str, str]:
    fields = _text_dict(value, key)
    for name in fields:
        if name not in LEAD_FIELDS:
            raise MappingError(
                f"{key}: {name!r} is not a field of raw.leads; "
                f"expected one of: {', '.join(LEAD_FIELDS)}"
            )
    return fields


def _attributes(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, list):
        columns = [_text(item, "attributes") for item in value]
        attributes = {snake_case(column): column for column in columns}
    else:
        attributes = _text_dict(value, "attributes")
    for name in attributes:
        if not name.strip():
            raise MappingError("attributes: an attribute name is empty")
    return attributes


def _conversion(value: Any) -> ConversionMapping | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MappingError("conversion must be a mapping with at least a column key")
    unknown = sorted(set(value) - CONVERSION_KEYS)
    if unknown:
        raise MappingError(
            f"conversion: unknown key {unknown[0]!r}; "
            f"expected one of: {', '.join(sorted(CONVERSION_KEYS))}"
        )
    if "column" not in value:
        raise MappingError("conversion: column is required")
    values = _text_list(value, "values", ["1", "true", "yes"])
    return ConversionMapping(
        column=_text(value["column"], "conversion.column"),
        values=frozenset(item.strip().lower() for item in values),
        conversion_type=_text(value.get("conversion_type", "won"), "conversion.conversion_type"),
        converted_at=_optional_text(value.get("converted_at"), "conversion.converted_at"),
        amount=_optional_text(value.get("amount"), "conversion.amount"),
    )


def _text(value: Any, key: str) -> str:
    # YAML reads 1, yes and 2024-01-01 as numbers, booleans and dates, but CSV cells are text.
    if isinstance(value, bool):
        raise MappingError(f"{key}: quote the value {value!r} so that YAML keeps it as text")
    if isinstance(value, str | int | float):
        return str(value)
    raise MappingError(f"{key}: expected text, found {type(value).__name__}")


def _optional_text(value: Any, key: str) -> str | None:
    return None if value is None else _text(value, key)


def _text_dict(value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{key} must be a mapping of name: value")
    return {_text(name, key): _text(item, f"{key}.{name}") for name, item in value.items()}


def _text_list(document: dict[str, Any], key: str, default: list[str]) -> list[str]:
    value = document.get(key, default)
    if not isinstance(value, list):
        raise MappingError(f"{key} must be a list")
    return [_text(item, key) for item in value]
