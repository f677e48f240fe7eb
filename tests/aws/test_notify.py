"""Notify handler: one message per alert and channel, across retries and partial failures."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import jsonschema
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from conftest import (
    EVENT_BUS,
    REGION,
    REPO_ROOT,
    fresh_handler,
    load_event,
    receive_all,
    subscribe_queue,
)

WEBHOOK_SECRET = "lead-scoring/test/webhook"  # noqa: S105 (a secret's name)
EVENT_SCHEMA = json.loads(
    (REPO_ROOT / "functions" / "notify" / "schema" / "lead_became_hot.json").read_text()
)
PAYLOAD_FIELDS = {
    "lead_id",
    "owner",
    "score",
    "grade",
    "stage",
    "top_reasons",
    "recent_priority_pages",
}


class WebhookReceiver:
    """A chat webhook stand-in on 127.0.0.1 that records each POST body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(503)
                else:
                    receiver.bodies.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sales"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def webhook(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    # Secrets are cached per process; each test's receiver listens on a new port.
    parameters.clear_caches()
    with WebhookReceiver() as receiver:
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=WEBHOOK_SECRET, SecretString=json.dumps({"url": receiver.url})
        )
        monkeypatch.setenv("WEBHOOK_SECRET_NAME", WEBHOOK_SECRET)
        yield receiver


@pytest.fixture
def inbox(aws: dict[str, str]) -> str:
    return subscribe_queue(aws["topic_arn"])


@pytest.fixture
def bus_queue(aws: dict[str, str]) -> str:
    """Route Lead Became Hot events from the bus to a queue the test can read."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="hot-lead-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = boto3.client("events", region_name=REGION)
    events.put_rule(
        Name="hot-leads-to-queue",
        EventBusName=EVENT_BUS,
        EventPattern=json.dumps({"source": ["lead-scoring"], "detail-type": ["Lead Became Hot"]}),
    )
    events.put_targets(
        Rule="hot-leads-to-queue", EventBusName=EVENT_BUS, Targets=[{"Id": "queue", "Arn": arn}]
    )
    return url


@pytest.fixture
def notify(webhook: WebhookReceiver, inbox: str, bus_queue: str) -> Any:
    return fresh_handler("notify")


@pytest.fixture
def json_logs(notify: Any) -> Iterator[io.StringIO]:
    """Collect the JSON log lines of the handler and of the shared package."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(notify.logger.registered_formatter)
    targets = [logging.getLogger("lead_scoring"), logging.getLogger(notify.logger.service)]
    for target in targets:
        target.addHandler(handler)
    yield stream
    for target in targets:
        target.removeHandler(handler)


class Flaky:
    """Wrap a boto3 client so that one operation raises for its first ``failures`` calls."""

    def __init__(self, client: Any, operation: str, failures: int) -> None:
        self.client = client
        self.operation = operation
        self.failures = failures
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if name != self.operation:
            return attribute

        def call(**kwargs: Any) -> Any:
            self.calls += 1
            if self.calls <= self.failures:
                raise self.client.exceptions.ClientError(
                    {"Error": {"Code": "InternalError", "Message": "service unavailable"}},
                    name,
                )
            return attribute(**kwargs)

        return call


def sns_payloads(inbox: str) -> list[dict[str, Any]]:
    messages = receive_all(inbox)
    return [
        {
            "payload": json.loads(json.loads(m["Body"])["Message"]),
            "attributes": json.loads(m["Body"])["MessageAttributes"],
        }
        for m in messages
    ]


def bus_events(bus_queue: str) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in receive_all(bus_queue)]


def test_alert_reaches_every_channel(
    notify: Any,
    json_logs: io.StringIO,
    inbox: str,
    bus_queue: str,
    webhook: WebhookReceiver,
    lambda_context: Any,
) -> None:
    # Given two alerts on the alert queue
    batch = load_event("sqs_alerts.json")

    # When notify processes the batch
    response = notify.lambda_handler(batch, lambda_context)

    # Then each alert is sent once to SNS, EventBridge and the webhook
    assert response == {"batchItemFailures": []}
    messages = sns_payloads(inbox)
    assert sorted(m["payload"]["lead_id"] for m in messages) == ["L-1", "L-2"]
    first = next(m for m in messages if m["payload"]["lead_id"] == "L-1")
    assert set(first["payload"]) == PAYLOAD_FIELDS
    assert first["payload"]["owner"] == "dana.owner@seller.example"
    assert first["payload"]["recent_priority_pages"] == [
        "https://www.example.com/pricing",
        "https://www.example.com/demo",
    ]
    assert first["attributes"]["owner"]["Value"] == "dana.owner@seller.example"
    assert first["attributes"]["alert_id"]["Value"] == "alert-L-1-2024-03-04"

    events = bus_events(bus_queue)
    assert len(events) == 2
    assert {event["source"] for event in events} == {"lead-scoring"}
    assert {event["detail-type"] for event in events} == {"Lead Became Hot"}
    assert all(set(event["detail"]) == PAYLOAD_FIELDS for event in events)
    for event in events:
        jsonschema.validate(event["detail"], EVENT_SCHEMA)

    assert len(webhook.bodies) == 2
    chat = next(body for body in webhook.bodies if body["lead"]["lead_id"] == "L-1")
    assert chat["lead"]["owner"] == "d***@seller.example"
    assert "Hot lead L-1" in chat["text"]

    # And no log line carries an owner's address in clear
    logs = json_logs.getvalue()
    assert "dana.owner@seller.example" not in logs
    assert "sam.seller@seller.example" not in logs
    assert "alert-L-1-2024-03-04" in logs


def test_redelivered_alert_sends_nothing_again(
    notify: Any, inbox: str, bus_queue: str, webhook: WebhookReceiver, lambda_context: Any
) -> None:
    # Given a batch that was delivered once
    batch = load_event("sqs_alerts.json")
    notify.lambda_handler(batch, lambda_context)
    assert len(sns_payloads(inbox)) == 2
    assert len(bus_events(bus_queue)) == 2

    # When the queue delivers the same batch again
    response = notify.lambda_handler(batch, lambda_context)

    # Then it succeeds without sending anything
    assert response == {"batchItemFailures": []}
    assert sns_payloads(inbox) == []
    assert bus_events(bus_queue) == []
    assert len(webhook.bodies) == 2


def test_half_way_failure_resends_only_failed_channel(
    notify: Any,
    inbox: str,
    bus_queue: str,
    webhook: WebhookReceiver,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given EventBridge failing on the first attempt, after SNS has published
    flaky_events = Flaky(notify.notifier.events, "put_events", failures=1)
    monkeypatch.setattr(notify.notifier, "events", flaky_events)
    batch = {"Records": load_event("sqs_alerts.json")["Records"][:1]}

    # When notify processes the alert, the batch fails as a whole (its only record failed)
    with pytest.raises(BatchProcessingError):
        notify.lambda_handler(batch, lambda_context)

    # Then SNS was sent and the channels after EventBridge were not
    assert len(sns_payloads(inbox)) == 1
    assert bus_events(bus_queue) == []
    assert webhook.bodies == []

    # When the queue redelivers it
    second = notify.lambda_handler(batch, lambda_context)

    # Then EventBridge and the webhook are sent, and SNS is not sent a second time
    assert second == {"batchItemFailures": []}
    assert sns_payloads(inbox) == []
    assert len(bus_events(bus_queue)) == 1
    assert len(webhook.bodies) == 1
    assert flaky_events.calls == 2


def test_sns_error_fails_alert_until_retry(
    notify: Any,
    json_logs: io.StringIO,
    inbox: str,
    bus_queue: str,
    webhook: WebhookReceiver,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given SNS throwing on every publish of the first delivery
    flaky_sns = Flaky(notify.notifier.sns, "publish", failures=2)
    monkeypatch.setattr(notify.notifier, "sns", flaky_sns)
    batch = load_event("sqs_alerts.json")

    # When notify processes two alerts, both fail, so the whole batch returns to the queue
    with pytest.raises(BatchProcessingError):
        notify.lambda_handler(batch, lambda_context)

    # Then nothing is sent, and the failure is logged with the alert ids
    assert sns_payloads(inbox) == []
    assert bus_events(bus_queue) == []
    logs = [json.loads(line) for line in json_logs.getvalue().splitlines() if line]
    failures = [line for line in logs if line.get("message", "").startswith("alert delivery")]
    assert {line["alert_id"] for line in failures} == {
        "alert-L-1-2024-03-04",
        "alert-L-2-2024-03-04",
    }

    # When SNS recovers and the queue redelivers
    second = notify.lambda_handler(batch, lambda_context)

    # Then every channel gets each alert exactly once
    assert second == {"batchItemFailures": []}
    assert len(sns_payloads(inbox)) == 2
    assert len(bus_events(bus_queue)) == 2
    assert len(webhook.bodies) == 2


def test_webhook_error_retries_webhook_only(
    notify: Any, inbox: str, webhook: WebhookReceiver, lambda_context: Any
) -> None:
    # Given a webhook that returns 503 once
    webhook.fail_next = 1
    batch = {"Records": load_event("sqs_alerts.json")["Records"][:1]}

    # When the alert is delivered twice
    with pytest.raises(BatchProcessingError):
        notify.lambda_handler(batch, lambda_context)
    second = notify.lambda_handler(batch, lambda_context)

    # Then the first delivery fails, the retry posts once, and SNS sent only once in total
    assert second == {"batchItemFailures": []}
    assert len(webhook.bodies) == 1
    assert len(sns_payloads(inbox)) == 1


def test_malformed_alert_fails_alone(notify: Any, inbox: str, lambda_context: Any) -> None:
    # Given a malformed alert next to a valid one
    batch = load_event("sqs_alerts_with_malformed.json")

    # When notify processes them
    response = notify.lambda_handler(batch, lambda_context)

    # Then only the malformed one is reported, and the valid one is sent
    assert response == {"batchItemFailures": [{"itemIdentifier": "alert-msg-bad"}]}
    assert [m["payload"]["lead_id"] for m in sns_payloads(inbox)] == ["L-1"]


def test_no_webhook_secret_skips_webhook(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # Given no webhook secret configured
    monkeypatch.delenv("WEBHOOK_SECRET_NAME", raising=False)
    inbox = subscribe_queue(aws["topic_arn"], "inbox-without-webhook")
    notify = fresh_handler("notify")

    # When an alert is delivered
    response = notify.lambda_handler(
        {"Records": load_event("sqs_alerts.json")["Records"][:1]}, lambda_context
    )

    # Then SNS is sent and the missing webhook is not a failure
    assert response == {"batchItemFailures": []}
    assert len(sns_payloads(inbox)) == 1


def test_schema_lists_payload_fields() -> None:
    assert set(EVENT_SCHEMA["properties"]) == PAYLOAD_FIELDS
    assert set(EVENT_SCHEMA["required"]) == PAYLOAD_FIELDS
    for example in EVENT_SCHEMA["examples"]:
        jsonschema.validate(example, EVENT_SCHEMA)
