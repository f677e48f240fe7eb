"""Validate batches of activity events and land them in S3 as gzip NDJSON.

Valid events go to ``raw/activities/dt=<occurred date>/<uuid>.json.gz``; invalid ones go to
``rejected/activities/dt=<ingest date>/<uuid>.json.gz`` with the reason, so nothing a sender
posts is dropped without a trace.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser import ValidationError, parse

from lead_scoring.aws.activity import ActivityEvent, format_timestamp

logger = logging.getLogger(__name__)

RAW_PREFIX = "raw/activities"
REJECTED_PREFIX = "rejected/activities"
DEFAULT_MAX_BODY_BYTES = 1_048_576
DEFAULT_MAX_EVENTS = 500


class PayloadError(ValueError):
    """A request body that cannot be read as a batch of events at all."""

    def __init__(self, message: str, status_code: int = 400, **details: object) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.details = details

    def to_body(self) -> dict[str, object]:
        return {"error": str(self), **self.details}


@dataclass(frozen=True)
class IngestSettings:
    bucket: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_events: int = DEFAULT_MAX_EVENTS

    @classmethod
    def from_env(cls) -> IngestSettings:
        return cls(
            bucket=os.environ["DATA_BUCKET"],
            max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            max_events=int(os.environ.get("MAX_EVENTS", DEFAULT_MAX_EVENTS)),
        )


@dataclass
class Rejection:
    index: int
    reason: str
    payload: object
    event_id: str | None = None

    def to_summary(self) -> dict[str, object]:
        return {"index": self.index, "event_id": self.event_id, "reason": self.reason}


@dataclass
class ValidatedBatch:
    events: list[ActivityEvent] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    accepted: int
    rejected: int
    duplicates: int
    raw_keys: list[str]
    rejected_keys: list[str]
    rejections: list[Rejection]

    def to_body(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "errors": [rejection.to_summary() for rejection in self.rejections],
        }


def decode_batch(body: bytes | str, max_body_bytes: int, max_events: int) -> list[Any]:
    """Parse a request body into a list of event candidates, or raise PayloadError.

    The body is a JSON list of events or an object with an ``events`` list. A single event
    object is accepted too, because a queue message often carries one event.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > max_body_bytes:
        raise PayloadError(
            f"payload of {len(raw)} bytes exceeds the maximum of {max_body_bytes} bytes; "
            "split the batch",
            status_code=413,
            max_bytes=max_body_bytes,
        )
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"invalid JSON: {exc}") from exc
    if isinstance(document, dict) and "events" in document:
        items = document["events"]
    elif isinstance(document, dict):
        items = [document]
    else:
        items = document
    if not isinstance(items, list):
        raise PayloadError("expected a JSON list of events or an object with an 'events' list")
    if not items:
        raise PayloadError("the batch contains no events")
    if len(items) > max_events:
        raise PayloadError(
            f"batch of {len(items)} events exceeds the maximum of {max_events} events; "
            "split the batch",
            status_code=413,
            max_events=max_events,
        )
    return items


def validate_events(items: Sequence[Any], seen_event_ids: set[str] | None = None) -> ValidatedBatch:
    """Validate each candidate with the parser and drop repeated event ids.

    ``seen_event_ids`` carries ids already accepted earlier in the same delivery (other queue
    records of one batch); the first occurrence of an id wins.
    """
    seen = seen_event_ids if seen_event_ids is not None else set()
    batch_ids: set[str] = set()
    batch = ValidatedBatch()
    for index, item in enumerate(items):
        event_id = _event_id_of(item)
        if not isinstance(item, dict):
            batch.rejections.append(
                Rejection(index, "event must be a JSON object", item, event_id=None)
            )
            continue
        try:
            event = parse(event=item, model=ActivityEvent)
        except ValidationError as exc:
            batch.rejections.append(Rejection(index, _describe(exc), item, event_id=event_id))
            continue
        if event.event_id in seen or event.event_id in batch_ids:
            batch.duplicates.append(event.event_id)
            continue
        batch_ids.add(event.event_id)
        batch.events.append(event)
    return batch


def _event_id_of(item: object) -> str | None:
    if isinstance(item, dict):
        value = item.get("event_id")
        return value if isinstance(value, str) else None
    return None


def _describe(error: ValidationError) -> str:
    """Summarise a pydantic error as 'field: message' pairs without echoing the input."""
    parts = []
    for problem in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in problem["loc"]) or "event"
        parts.append(f"{location}: {problem['msg']}")
    return "; ".join(parts)


class RawWriter:
    """Write accepted and rejected events to the data bucket as gzip NDJSON objects."""

    def __init__(self, s3_client: Any, bucket: str) -> None:
        self.s3 = s3_client
        self.bucket = bucket

    def write_events(self, events: Iterable[ActivityEvent], loaded_at: datetime) -> list[str]:
        """Write events, one object per occurred_at date, and return the keys written."""
        by_day: dict[str, list[dict[str, str | None]]] = defaultdict(list)
        for event in events:
            by_day[event.occurred_at.strftime("%Y-%m-%d")].append(event.to_raw_row(loaded_at))
        keys = []
        for day in sorted(by_day):
            key = f"{RAW_PREFIX}/dt={day}/{uuid.uuid4()}.json.gz"
            self._put(key, by_day[day])
            keys.append(key)
        return keys

    def write_rejections(
        self,
        rejections: Sequence[Rejection],
        received_at: datetime,
        source: str,
        source_id: str | None = None,
    ) -> str | None:
        """Write rejected payloads with their reasons into one object and return its key."""
        if not rejections:
            return None
        rows = [
            {
                "reason": rejection.reason,
                "event_id": rejection.event_id,
                "index": rejection.index,
                "source": source,
                "source_id": source_id,
                "received_at": format_timestamp(received_at),
                "payload": rejection.payload,
            }
            for rejection in rejections
        ]
        key = f"{REJECTED_PREFIX}/dt={received_at.strftime('%Y-%m-%d')}/{uuid.uuid4()}.json.gz"
        self._put(key, rows)
        return key

    def _put(self, key: str, rows: Sequence[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(row, default=str, ensure_ascii=False) + "\n" for row in rows)
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=gzip.compress(lines.encode("utf-8")),
            ContentType="application/x-ndjson",
            ContentEncoding="gzip",
        )


def ingest_items(
    writer: RawWriter,
    items: Sequence[Any],
    source: str,
    source_id: str | None = None,
    seen_event_ids: set[str] | None = None,
) -> IngestResult:
    """Validate a decoded batch and write both outcomes; S3 errors propagate to the caller."""
    now = datetime.now(UTC)
    batch = validate_events(items, seen_event_ids)
    raw_keys = writer.write_events(batch.events, loaded_at=now)
    rejected_key = writer.write_rejections(batch.rejections, now, source, source_id)
    if seen_event_ids is not None:
        # Only after the write succeeded: a failed record is retried and must not be skipped
        # as a duplicate of itself.
        seen_event_ids.update(event.event_id for event in batch.events)
    for rejection in batch.rejections:
        logger.warning(
            "activity event rejected",
            extra={
                "event_id": rejection.event_id,
                "index": rejection.index,
                "reason": rejection.reason,
                "source_id": source_id,
            },
        )
    if batch.duplicates:
        logger.info(
            "duplicate events written once",
            extra={"duplicate_event_ids": batch.duplicates, "source_id": source_id},
        )
    return IngestResult(
        accepted=len(batch.events),
        rejected=len(batch.rejections),
        duplicates=len(batch.duplicates),
        raw_keys=raw_keys,
        rejected_keys=[rejected_key] if rejected_key else [],
        rejections=batch.rejections,
    )


def reject_whole_payload(
    writer: RawWriter, body: str, error: PayloadError, source: str, source_id: str | None
) -> str | None:
    """Keep an unreadable queue message under the rejected prefix instead of retrying it."""
    rejection = Rejection(index=0, reason=str(error), payload=body[:DEFAULT_MAX_BODY_BYTES])
    return writer.write_rejections([rejection], datetime.now(UTC), source, source_id)


@dataclass
class HttpOutcome:
    status_code: int
    body: dict[str, object]
    result: IngestResult | None = None


def handle_http_body(
    writer: RawWriter, settings: IngestSettings, body: bytes | str, request_id: str | None
) -> HttpOutcome:
    """Ingest one HTTP request body and return the status code and JSON response body.

    200 means every event was accepted, 207 that some were rejected, and 400 that none
    were. Rejected events are stored with their reasons in every case. S3 errors propagate,
    so the caller returns 5xx and the sender retries the whole batch.
    """
    try:
        items = decode_batch(body, settings.max_body_bytes, settings.max_events)
    except PayloadError as exc:
        logger.warning(
            "request rejected",
            extra={"reason": str(exc), "status_code": exc.status_code, "request_id": request_id},
        )
        return HttpOutcome(exc.status_code, exc.to_body())
    result = ingest_items(writer, items, source="http", source_id=request_id)
    logger.info(
        "batch ingested",
        extra={
            "accepted": result.accepted,
            "rejected": result.rejected,
            "duplicates": result.duplicates,
            "raw_keys": result.raw_keys,
            "request_id": request_id,
        },
    )
    if result.rejected == 0:
        status = 200
    elif result.accepted or result.duplicates:
        status = 207
    else:
        status = 400
    return HttpOutcome(status, result.to_body(), result)


class QueueIngest:
    """Ingest queue records one at a time, sharing duplicate detection across one delivery.

    An invalid record is stored under the rejected prefix and counts as processed, because
    delivering it again cannot make it valid. Only a failed S3 write raises, which marks that
    record, and no other, for redelivery.
    """

    def __init__(self, writer: RawWriter, settings: IngestSettings) -> None:
        self.writer = writer
        self.settings = settings
        self.seen_event_ids: set[str] = set()
        self.accepted = 0
        self.rejected = 0
        self.duplicates = 0

    def process(self, message_id: str, body: str) -> IngestResult | None:
        try:
            items = decode_batch(body, self.settings.max_body_bytes, self.settings.max_events)
        except PayloadError as exc:
            key = reject_whole_payload(self.writer, body, exc, "sqs", message_id)
            self.rejected += 1
            logger.warning(
                "queue message rejected",
                extra={"reason": str(exc), "rejected_key": key, "source_id": message_id},
            )
            return None
        result = ingest_items(
            self.writer, items, "sqs", message_id, seen_event_ids=self.seen_event_ids
        )
        self.accepted += result.accepted
        self.rejected += result.rejected
        self.duplicates += result.duplicates
        return result
