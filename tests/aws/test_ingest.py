"""Ingest handler: HTTP API and queue batches, valid and invalid events, limits, duplicates."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from conftest import BUCKET, REGION, fresh_handler, load_event

from lead_scoring.aws.ingest import IngestSettings, RawWriter


def objects_under(prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Return every object under a prefix as its decoded NDJSON rows."""
    s3 = boto3.client("s3", region_name=REGION)
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    result = {}
    for item in listing:
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        lines = gzip.decompress(body).decode("utf-8").splitlines()
        result[item["Key"]] = [json.loads(line) for line in lines]
    return result


def rows_under(prefix: str) -> list[dict[str, Any]]:
    return [row for rows in objects_under(prefix).values() for row in rows]


def post(handler: Any, body: Any, context: Any) -> tuple[int, dict[str, Any]]:
    event = load_event("http_post_events.json")
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    response = handler.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def event(event_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "event_id": event_id,
        "lead_id": "L-1",
        "activity_type": "page_view",
        "occurred_at": "2024-03-03T09:15:00Z",
    }
    return {**base, **fields}


@pytest.fixture
def ingest(aws: dict[str, str]) -> Any:
    return fresh_handler("ingest")


def test_http_batch_lands_in_date_partitions(ingest: Any, lambda_context: Any) -> None:
    # Given a list of three valid events on two occurred_at dates
    request = load_event("http_post_events.json")

    # When the HTTP API delivers it
    response = ingest.lambda_handler(request, lambda_context)

    # Then all are accepted and written as gzip NDJSON, one object per date
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "accepted": 3,
        "rejected": 0,
        "duplicates": 0,
        "errors": [],
    }
    objects = objects_under("raw/activities/")
    partitions = sorted(key.split("/")[2] for key in objects)
    assert partitions == ["dt=2024-03-03", "dt=2024-03-04"]
    assert all(key.endswith(".json.gz") for key in objects)
    rows = {row["event_id"]: row for row in rows_under("raw/activities/")}
    assert rows["evt-001"]["properties"] == '{"referrer":"https://search.example"}'
    assert rows["evt-001"]["duration_seconds"] == "42"
    assert rows["evt-002"]["activity_type"] == "form_submission"
    # +01:00 is converted, so 08:00 local on the 4th is 07:00 UTC on the 4th
    assert rows["evt-002"]["occurred_at"] == "2024-03-04T07:00:00.000000Z"
    loaded_at = datetime.strptime(rows["evt-003"]["loaded_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(datetime.now(UTC).replace(tzinfo=None) - loaded_at) < timedelta(minutes=1)
    assert objects_under("rejected/") == {}


def test_http_accepts_events_object(ingest: Any, lambda_context: Any) -> None:
    response = ingest.lambda_handler(load_event("http_post_events_object.json"), lambda_context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"])["accepted"] == 1


def test_http_malformed_json_is_400(ingest: Any, lambda_context: Any) -> None:
    # Given a truncated JSON body
    request = load_event("http_post_malformed.json")

    # When it is posted
    response = ingest.lambda_handler(request, lambda_context)

    # Then the sender gets a 400 that names the problem, and nothing is written
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"].startswith("invalid JSON")
    assert objects_under("") == {}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"events": "not a list"}', "expected a JSON list"),
        ("[]", "no events"),
        ('"just a string"', "expected a JSON list"),
    ],
)
def test_http_wrong_shape_is_400(
    ingest: Any, lambda_context: Any, body: str, fragment: str
) -> None:
    status, response = post(ingest, body, lambda_context)

    assert status == 400
    assert fragment in response["error"]


def test_http_invalid_events_are_rejected_with_reasons(ingest: Any, lambda_context: Any) -> None:
    # Given a batch with one valid event and four that break the contract
    request = load_event("http_post_invalid_events.json")

    # When it is posted
    response = ingest.lambda_handler(request, lambda_context)

    # Then the valid event is written, the others are stored with their reasons
    assert response["statusCode"] == 207
    body = json.loads(response["body"])
    assert body["accepted"] == 1
    assert body["rejected"] == 4
    reasons = {error["event_id"]: error["reason"] for error in body["errors"]}
    assert "lead_id or visitor_id is required" in reasons["bad-missing-lead"]
    assert "event_id: Field required" in reasons[None]
    assert "unknown activity_type 'telepathy'" in reasons["bad-type"]
    assert "duration_seconds" in reasons["bad-duration"]
    assert [row["event_id"] for row in rows_under("raw/activities/")] == ["good-1"]
    rejected = rows_under("rejected/activities/")
    assert len(rejected) == 4
    assert {row["source"] for row in rejected} == {"http"}
    assert {row["source_id"] for row in rejected} == {"req-invalid-1"}
    assert all(row["reason"] and row["payload"] for row in rejected)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"duration_seconds": "abc"}, "duration_seconds"),
        ({"duration_seconds": True}, "not a boolean"),
        ({"occurred_at": 1709546400}, "ISO 8601"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"lead_id": 42}, "lead_id"),
        ({"properties": ["a", "b"]}, "properties"),
        ({"url": {"href": "/pricing"}}, "url"),
    ],
)
def test_http_wrong_types_are_rejected(
    ingest: Any, lambda_context: Any, fields: dict[str, Any], fragment: str
) -> None:
    status, body = post(ingest, [event("evt-typed", **fields)], lambda_context)

    assert status == 400
    assert body["rejected"] == 1
    assert fragment in body["errors"][0]["reason"]
    assert rows_under("raw/") == []
    assert len(rows_under("rejected/activities/")) == 1


def test_http_future_event_is_rejected(ingest: Any, lambda_context: Any) -> None:
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    slightly_ahead = (datetime.now(UTC) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")

    status, body = post(
        ingest,
        [event("evt-future", occurred_at=future), event("evt-skew", occurred_at=slightly_ahead)],
        lambda_context,
    )

    assert status == 207
    assert body["accepted"] == 1
    assert "in the future" in body["errors"][0]["reason"]


def test_http_payload_over_byte_limit_is_413(
    ingest: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a 2 KB limit and a 3 KB body
    monkeypatch.setattr(ingest, "settings", IngestSettings(BUCKET, max_body_bytes=2048))
    body = [
        event(f"evt-{index}", url="https://www.example.com/" + "x" * 200) for index in range(12)
    ]

    # When it is posted
    status, response = post(ingest, body, lambda_context)

    # Then the sender learns the limit, and nothing is written
    assert status == 413
    assert response["max_bytes"] == 2048
    assert "exceeds the maximum of 2048 bytes" in response["error"]
    assert objects_under("") == {}


def test_http_batch_over_event_limit_is_413(
    ingest: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "settings", IngestSettings(BUCKET, max_events=5))

    status, response = post(ingest, [event(f"evt-{i}") for i in range(6)], lambda_context)

    assert status == 413
    assert response["max_events"] == 5
    assert objects_under("") == {}


def test_http_duplicates_written_once(ingest: Any, lambda_context: Any) -> None:
    # Given the same event id three times, the first with a different URL
    batch = [
        event("evt-dup", url="https://www.example.com/first"),
        event("evt-dup", url="https://www.example.com/second"),
        event("evt-other"),
        event("evt-dup"),
    ]

    # When the batch is posted
    status, body = post(ingest, batch, lambda_context)

    # Then the first occurrence is written once and the repeats are counted
    assert status == 200
    assert body["accepted"] == 2
    assert body["duplicates"] == 2
    rows = rows_under("raw/activities/")
    assert sorted(row["event_id"] for row in rows) == ["evt-dup", "evt-other"]
    first = next(row for row in rows if row["event_id"] == "evt-dup")
    assert first["url"] == "https://www.example.com/first"


def test_queue_batch_rejects_without_retrying(ingest: Any, lambda_context: Any) -> None:
    # Given a queue batch: one event, a list of two, malformed JSON, an invalid event and a
    # repeat of the first event
    batch = load_event("sqs_ingest_batch.json")

    # When the queue delivers it
    response = ingest.lambda_handler(batch, lambda_context)

    # Then no record is retried: bad ones are stored as rejected, the repeat is dropped
    assert response == {"batchItemFailures": []}
    assert sorted(row["event_id"] for row in rows_under("raw/activities/")) == [
        "evt-001",
        "evt-002",
        "evt-003",
    ]
    rejected = {row["source_id"]: row for row in rows_under("rejected/activities/")}
    assert set(rejected) == {"msg-malformed", "msg-invalid"}
    assert rejected["msg-malformed"]["reason"].startswith("invalid JSON")
    assert rejected["msg-malformed"]["payload"] == "{not json"
    assert "unknown activity_type" in rejected["msg-invalid"]["reason"]


def test_queue_write_failure_retries_only_that_record(
    ingest: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given S3 rejecting the write of one record's events
    original = RawWriter.write_events

    def flaky_write(self: RawWriter, events: Any, loaded_at: datetime) -> list[str]:
        events = list(events)
        if any(item.event_id == "evt-002" for item in events):
            raise boto3.client("s3", region_name=REGION).exceptions.ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Reduce your request rate"}},
                "PutObject",
            )
        return original(self, events, loaded_at)

    monkeypatch.setattr(RawWriter, "write_events", flaky_write)
    batch = load_event("sqs_ingest_batch.json")

    # When the batch is processed
    response = ingest.lambda_handler(batch, lambda_context)

    # Then only that record is reported for redelivery; the others are written once
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-list"}]}
    assert [row["event_id"] for row in rows_under("raw/activities/")] == ["evt-001"]


def test_queue_retry_not_a_duplicate(
    ingest: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the first record failing to write and a later record repeating its event
    batch = load_event("sqs_ingest_batch.json")
    records = [batch["Records"][0], batch["Records"][4]]
    calls = {"count": 0}
    original = RawWriter.write_events

    def fail_once(self: RawWriter, events: Any, loaded_at: datetime) -> list[str]:
        calls["count"] += 1
        if calls["count"] == 1:
            raise OSError("connection reset")
        return original(self, events, loaded_at)

    monkeypatch.setattr(RawWriter, "write_events", fail_once)

    # When the batch is processed
    response = ingest.lambda_handler({"Records": records}, lambda_context)

    # Then the repeat is written, because the failed record's event never landed
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-single"}]}
    assert [row["event_id"] for row in rows_under("raw/activities/")] == ["evt-001"]
