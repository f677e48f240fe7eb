"""SAM template: cfn-lint, least-privilege IAM, and the resources the functions rely on."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import REPO_ROOT

from lead_scoring.aws.template import load_template, resources_of_type

TEMPLATE = REPO_ROOT / "infra" / "template.yaml"
# Actions AWS accepts only with Resource "*". CloudWatch metric writes must also carry a
# cloudwatch:namespace condition; X-Ray has no resource-level permissions at all.
STAR_RESOURCE_ACTIONS = {
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def allow_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return every Allow statement of the functions' roles, with the role's logical id."""
    statements = []
    for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if "Fn::If" in statement:
                    _, when_true, when_false = statement["Fn::If"]
                    candidates = [when_true, when_false]
                else:
                    candidates = [statement]
                for candidate in candidates:
                    if isinstance(candidate, dict) and candidate.get("Effect") == "Allow":
                        statements.append((logical_id, candidate))
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_cfn_lint_passes() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE)

    assert [str(match) for match in matches] == []


def test_functions_use_supported_runtime(template: dict[str, Any]) -> None:
    defaults = template["Globals"]["Function"]
    functions = resources_of_type(template, "AWS::Serverless::Function")

    assert set(functions) == {"IngestFunction", "RunScoringFunction", "NotifyFunction"}
    assert defaults["Runtime"] in {"python3.11", "python3.12"}
    assert defaults["Architectures"] == ["x86_64"]
    for function in functions.values():
        assert "Runtime" not in function["Properties"]
        assert function["Properties"]["Handler"].startswith("functions.")


def test_every_statement_is_named_and_explicit(template: dict[str, Any]) -> None:
    statements = allow_statements(template)

    assert len(statements) >= 15
    for role, statement in statements:
        assert statement.get("Sid"), f"{role}: statement without Sid: {statement}"
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{role}/{statement['Sid']}: wildcard action {action}"


def test_star_resource_only_where_aws_requires(template: dict[str, Any]) -> None:
    for role, statement in allow_statements(template):
        resources = as_list(statement["Resource"])
        if "*" not in resources:
            continue
        actions = set(as_list(statement["Action"]))
        assert actions <= STAR_RESOURCE_ACTIONS, f"{role}/{statement['Sid']}: {actions}"
        if "cloudwatch:PutMetricData" in actions:
            condition = statement.get("Condition", {}).get("StringEquals", {})
            assert "cloudwatch:namespace" in condition


def test_resources_are_references(template: dict[str, Any]) -> None:
    # A typed ARN string could point at anything; references follow the template's resources.
    for role, statement in allow_statements(template):
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                continue
            assert isinstance(resource, dict), f"{role}/{statement['Sid']}: {resource}"
            assert set(resource) & {"Fn::GetAtt", "Fn::Sub", "Ref"}


def test_functions_use_own_roles(template: dict[str, Any]) -> None:
    # Without Role, SAM would attach AWS managed policies with Resource "*".
    for logical_id, function in resources_of_type(template, "AWS::Serverless::Function").items():
        properties = function["Properties"]
        assert "Role" in properties, logical_id
        assert "Policies" not in properties, logical_id


def test_log_groups_have_retention(template: dict[str, Any]) -> None:
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    for logical_id, function in resources_of_type(template, "AWS::Serverless::Function").items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert group in groups, logical_id
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_bucket_is_private_encrypted_and_versioned(template: dict[str, Any]) -> None:
    (bucket,) = resources_of_type(template, "AWS::S3::Bucket").values()
    properties = bucket["Properties"]
    block = properties["PublicAccessBlockConfiguration"]

    assert all(block[name] is True for name in block)
    assert len(block) == 4
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert properties["VersioningConfiguration"]["Status"] == "Enabled"
    (notification,) = properties["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "raw/"}]


def test_bucket_policy_denies_plain_http(template: dict[str, Any]) -> None:
    (policy,) = resources_of_type(template, "AWS::S3::BucketPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    deny = [s for s in statements if s["Effect"] == "Deny"]

    assert len(deny) == 1
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(deny[0]["Resource"]) == 2


def test_every_queue_has_a_dead_letter_queue(template: dict[str, Any]) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    working = {k: v for k, v in queues.items() if "DeadLetter" not in k}

    assert set(working) == {"IngestQueue", "RawObjectsQueue", "AlertQueue"}
    for logical_id, queue in working.items():
        redrive = queue["Properties"]["RedrivePolicy"]
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert target in queues, logical_id
        assert "DeadLetter" in target
        assert redrive["maxReceiveCount"] >= 1


def test_tables_expire_items(template: dict[str, Any]) -> None:
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    expiry = {
        name: table["Properties"]["TimeToLiveSpecification"] for name, table in tables.items()
    }

    assert expiry == {
        "LockTable": {"AttributeName": "expires_at", "Enabled": True},
        "IdempotencyTable": {"AttributeName": "expiration", "Enabled": True},
    }


def test_alarms_cover_functions_and_dead_letter_queues(template: dict[str, Any]) -> None:
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    watched = set()
    for alarm in alarms:
        (dimension,) = alarm["Properties"]["Dimensions"]
        value = dimension["Value"]
        watched.add(value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0])

    assert watched == {
        "IngestFunction",
        "RunScoringFunction",
        "NotifyFunction",
        "IngestDeadLetterQueue",
        "RawObjectsDeadLetterQueue",
        "AlertDeadLetterQueue",
    }


def test_lock_outlives_function_timeout(template: dict[str, Any]) -> None:
    function = template["Resources"]["RunScoringFunction"]["Properties"]

    assert int(function["Environment"]["Variables"]["LOCK_SECONDS"]) > function["Timeout"]


def test_event_sources_report_partial_failures(template: dict[str, Any]) -> None:
    for logical_id in ("IngestFunction", "NotifyFunction"):
        events = template["Resources"][logical_id]["Properties"]["Events"]
        queue_events = [e for e in events.values() if e["Type"] == "SQS"]
        assert queue_events, logical_id
        for event in queue_events:
            assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
