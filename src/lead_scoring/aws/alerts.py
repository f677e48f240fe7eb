"""Hand new rows of the hot-lead alert outbox to the notify queue, each row once.

``marts.hot_lead_alerts`` keeps every crossing into the hot stage, so it grows forever.
``meta.alerts_handed_off`` in the same warehouse file records which alerts were queued;
a run queues only the rest. The record is saved after the messages are sent, so a run that
dies in between queues the same alerts again on the next run, and notify's idempotency on
alert_id turns that repeat into no second message.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from aws_lambda_powertools.utilities.parser import parse
from pydantic import BaseModel, Field, field_validator

logger = logging.getLogger(__name__)

META_SCHEMA = "meta"
HANDED_OFF = f"{META_SCHEMA}.alerts_handed_off"
ALERTS_TABLE = "hot_lead_alerts"
PAGE_SEPARATOR = "; "
SQS_BATCH_SIZE = 10


def mask_email(email: str | None) -> str | None:
    """Return an email with the local part hidden, for logs: ``j***@example.com``."""
    if not email:
        return email
    local, _, domain = email.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def email_hash(email: str | None) -> str | None:
    """Return a stable, non-reversible tag of an email, to correlate log lines per owner."""
    if not email:
        return None
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]


class HotLeadAlert(BaseModel):
    """One row of marts.hot_lead_alerts, as queued for notify."""

    alert_id: str = Field(min_length=1)
    lead_id: str = Field(min_length=1)
    owner_email: str | None = None
    score: float
    grade: str | None = None
    stage: str
    top_reasons: str | None = None
    recent_priority_pages: list[str] = Field(default_factory=list)
    entered_at: datetime
    created_at: datetime

    @field_validator("recent_priority_pages", mode="before")
    @classmethod
    def split_pages(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [page.strip() for page in value.split(PAGE_SEPARATOR.strip()) if page.strip()]
        return value

    def notification(self) -> dict[str, Any]:
        """Return the notification payload: the fields a salesperson acts on, nothing more."""
        return {
            "lead_id": self.lead_id,
            "owner": self.owner_email,
            "score": self.score,
            "grade": self.grade,
            "stage": self.stage,
            "top_reasons": self.top_reasons,
            "recent_priority_pages": self.recent_priority_pages,
        }


@dataclass
class HandoffReport:
    queued: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class AlertHandoffError(RuntimeError):
    """Some alerts could not be queued; they stay pending and the next run queues them."""


def ensure_handed_off(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {META_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {HANDED_OFF} (
            alert_id varchar primary key,
            lead_id varchar,
            outcome varchar not null,
            handed_off_at timestamp not null,
            run_id varchar
        )
        """
    )


def pending_alerts(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[HotLeadAlert]:
    """Return the alerts of the outbox that were never handed off, oldest first."""
    ensure_handed_off(con)
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, ALERTS_TABLE],
    ).fetchone()
    if not exists or not exists[0]:
        logger.warning("alert outbox not found", extra={"table": f"{schema}.{ALERTS_TABLE}"})
        return []
    cursor = con.execute(
        f"""
        select alerts.*
        from {schema}.{ALERTS_TABLE} as alerts
        where not exists (
            select 1 from {HANDED_OFF} as handed_off
            where handed_off.alert_id = alerts.alert_id
        )
        order by alerts.created_at, alerts.alert_id
        """
    )
    names = [column[0] for column in cursor.description]
    return [
        HotLeadAlert.model_validate(dict(zip(names, row, strict=True))) for row in cursor.fetchall()
    ]


def hand_off(
    con: duckdb.DuckDBPyConnection,
    sqs: Any,
    queue_url: str,
    alerts: Sequence[HotLeadAlert],
    run_id: str,
    max_age: timedelta | None = None,
    now: datetime | None = None,
) -> HandoffReport:
    """Queue each alert for notify and record the ones queued or too old to send.

    An alert older than ``max_age`` (a first build over months of history raises one per
    past crossing) is recorded as expired instead of sent, because a call about a crossing
    from last quarter is of no use to sales.
    """
    ensure_handed_off(con)
    now = now or datetime.now(UTC)
    report = HandoffReport()
    fresh = []
    for alert in alerts:
        entered = (
            alert.entered_at if alert.entered_at.tzinfo else alert.entered_at.replace(tzinfo=UTC)
        )
        if max_age is not None and now - entered > max_age:
            report.expired.append(alert.alert_id)
        else:
            fresh.append(alert)
    for start in range(0, len(fresh), SQS_BATCH_SIZE):
        batch = fresh[start : start + SQS_BATCH_SIZE]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": alert.model_dump_json(),
                    "MessageAttributes": {
                        "alert_id": {"DataType": "String", "StringValue": alert.alert_id}
                    },
                }
                for index, alert in enumerate(batch)
            ],
        )
        for entry in response.get("Successful", []):
            report.queued.append(batch[int(entry["Id"])].alert_id)
        for entry in response.get("Failed", []):
            alert = batch[int(entry["Id"])]
            report.failed.append(alert.alert_id)
            logger.error(
                "alert not queued",
                extra={
                    "alert_id": alert.alert_id,
                    "lead_id": alert.lead_id,
                    "code": entry.get("Code"),
                    "error": entry.get("Message"),
                },
            )
    _record(con, alerts, report, run_id, now)
    logger.info(
        "alerts handed off",
        extra={
            "queued_alert_ids": report.queued,
            "expired_alert_ids": report.expired,
            "failed_alert_ids": report.failed,
            "run_id": run_id,
        },
    )
    return report


def _record(
    con: duckdb.DuckDBPyConnection,
    alerts: Sequence[HotLeadAlert],
    report: HandoffReport,
    run_id: str,
    now: datetime,
) -> None:
    lead_of = {alert.alert_id: alert.lead_id for alert in alerts}
    stamp = now.astimezone(UTC).replace(tzinfo=None)
    rows = [[alert_id, lead_of[alert_id], "queued", stamp, run_id] for alert_id in report.queued]
    rows += [[alert_id, lead_of[alert_id], "expired", stamp, run_id] for alert_id in report.expired]
    if rows:
        con.executemany(f"insert into {HANDED_OFF} values (?, ?, ?, ?, ?)", rows)


def parse_alert_message(body: str) -> HotLeadAlert:
    """Read one queued alert; raise pydantic's ValidationError on a malformed message."""
    return parse(event=json.loads(body), model=HotLeadAlert)
