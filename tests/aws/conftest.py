"""Fixtures for the Lambda function tests: fake AWS settings, moto, events and a context."""

from __future__ import annotations

import importlib
import json
import logging
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lead_scoring.aws.local import LocalContext, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = Path(__file__).parent / "events"
REGION = "us-east-1"
BUCKET = "lead-scoring-test-data"
LOCK_TABLE = "lead-scoring-test-lock"
IDEMPOTENCY_TABLE = "lead-scoring-test-idempotency"
TOPIC_NAME = "lead-scoring-test-hot-leads"
EVENT_BUS = "lead-scoring-test"

# The handlers live in functions/ at the repository root, outside the installed package.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point every AWS client at fakes: no real credentials, no metadata address, no AWS."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "LeadScoringTest")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "lead-scoring-test")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("DATA_BUCKET", BUCKET)
    monkeypatch.setenv("LOCK_TABLE", LOCK_TABLE)
    monkeypatch.setenv("IDEMPOTENCY_TABLE", IDEMPOTENCY_TABLE)
    monkeypatch.setenv("EVENT_BUS_NAME", EVENT_BUS)
    monkeypatch.setenv("WORK_DIR", str(tmp_path / "work"))
    monkeypatch.delenv("WEBHOOK_SECRET_NAME", raising=False)


@pytest.fixture
def lambda_context() -> LocalContext:
    return LocalContext("lead-scoring-test", timeout_seconds=60)


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Start moto in process and create the bucket, tables, queues, topic and bus."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for table, key in ((LOCK_TABLE, "lock_id"), (IDEMPOTENCY_TABLE, "id")):
            dynamodb.create_table(
                TableName=table,
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        sqs = boto3.client("sqs", region_name=REGION)
        alert_queue = sqs.create_queue(QueueName="lead-scoring-test-alerts")["QueueUrl"]
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name=TOPIC_NAME)[
            "TopicArn"
        ]
        boto3.client("events", region_name=REGION).create_event_bus(Name=EVENT_BUS)
        monkeypatch.setenv("ALERT_QUEUE_URL", alert_queue)
        monkeypatch.setenv("TOPIC_ARN", topic_arn)
        yield {"alert_queue_url": alert_queue, "topic_arn": topic_arn}


def fresh_handler(name: str) -> Any:
    """Import a function's module anew, so its module-level clients see this test's setup."""
    sys.modules.pop(f"functions.{name}.app", None)
    return importlib.import_module(f"functions.{name}.app")


def subscribe_queue(topic_arn: str, queue_name: str = "owner-inbox") -> str:
    """Subscribe a new queue to the topic and return its URL."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns", region_name=REGION).subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=arn
    )
    return url


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Run moto's server on 127.0.0.1 for code that talks HTTP itself (DuckDB's httpfs)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def served_aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Reset the server and create the scoring resources on it; clients use it via the env."""
    reset_url = f"{moto_server}/moto-api/reset"
    request = urllib.request.Request(reset_url, method="POST")  # noqa: S310 (127.0.0.1 only)
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=LOCK_TABLE,
        AttributeDefinitions=[{"AttributeName": "lock_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "lock_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    alert_queue = boto3.client("sqs", region_name=REGION).create_queue(
        QueueName="lead-scoring-test-alerts"
    )["QueueUrl"]
    monkeypatch.setenv("ALERT_QUEUE_URL", alert_queue)
    return {"endpoint_url": moto_server, "alert_queue_url": alert_queue}
