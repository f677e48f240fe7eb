"""One scoring run in AWS: lock, restore, load raw objects, build, save, publish, hand off.

The warehouse file in S3 is the published state. A run works on a local copy and replaces the
S3 object with a conditional write after a successful build. A run that fails or is killed
at any step before that write leaves the published warehouse exactly as it was.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import duckdb

from lead_scoring import dbt_runner, warehouse
from lead_scoring.aws import alerts, publish, raw_loader, runtime
from lead_scoring.aws.duckdb_s3 import enable_s3
from lead_scoring.aws.lock import DEFAULT_LOCK_SECONDS, RunLock
from lead_scoring.aws.state import DEFAULT_STATE_KEY, WarehouseState

logger = logging.getLogger(__name__)

# The warehouse path is part of dbt's partial-parse state, so it is fixed rather than per run:
# the manifest parsed at packaging time stays valid only for the same path.
DEFAULT_WORK_DIR = str(runtime.WORK_DIR)
DEFAULT_ALERT_MAX_AGE_HOURS = 168
SCORED_LEADS_TABLE = "lead_scores"

BuildFunction = Callable[..., dbt_runner.BuildResult]


class ScoringFailedError(RuntimeError):
    """The dbt build failed; nothing was saved or published."""


@dataclass(frozen=True)
class ScoringSettings:
    bucket: str
    lock_table: str
    alert_queue_url: str
    state_key: str = DEFAULT_STATE_KEY
    marts_prefix: str = publish.DEFAULT_MARTS_PREFIX
    marts_schema: str = publish.DEFAULT_MARTS_SCHEMA
    work_dir: Path = Path(DEFAULT_WORK_DIR)
    lock_seconds: int = DEFAULT_LOCK_SECONDS
    alert_max_age: timedelta | None = timedelta(hours=DEFAULT_ALERT_MAX_AGE_HOURS)

    @classmethod
    def from_env(cls) -> ScoringSettings:
        max_age_hours = float(os.environ.get("ALERT_MAX_AGE_HOURS", DEFAULT_ALERT_MAX_AGE_HOURS))
        return cls(
            bucket=os.environ["DATA_BUCKET"],
            lock_table=os.environ["LOCK_TABLE"],
            alert_queue_url=os.environ["ALERT_QUEUE_URL"],
            state_key=os.environ.get("STATE_KEY", DEFAULT_STATE_KEY),
            marts_prefix=os.environ.get("MARTS_PREFIX", publish.DEFAULT_MARTS_PREFIX),
            marts_schema=os.environ.get("MARTS_SCHEMA", publish.DEFAULT_MARTS_SCHEMA),
            work_dir=Path(os.environ.get("WORK_DIR", DEFAULT_WORK_DIR)),
            lock_seconds=int(os.environ.get("LOCK_SECONDS", DEFAULT_LOCK_SECONDS)),
            # Zero or less sends every pending alert, however old.
            alert_max_age=timedelta(hours=max_age_hours) if max_age_hours > 0 else None,
        )

    @property
    def db_path(self) -> Path:
        return self.work_dir / "warehouse" / "lead_scoring.duckdb"


@dataclass
class RunReport:
    run_id: str
    status: str
    trigger: str
    objects_loaded: int = 0
    events_processed: int = 0
    leads_scored: int = 0
    alerts_raised: int = 0
    alerts_expired: int = 0
    published_tables: list[str] = field(default_factory=list)
    seconds: float = 0.0
    full_refresh: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "trigger": self.trigger,
            "objects_loaded": self.objects_loaded,
            "events_processed": self.events_processed,
            "leads_scored": self.leads_scored,
            "alerts_raised": self.alerts_raised,
            "alerts_expired": self.alerts_expired,
            "published_tables": self.published_tables,
            "seconds": round(self.seconds, 3),
            "full_refresh": self.full_refresh,
        }


@dataclass
class ScoringRun:
    """The collaborators of a run; tests replace ``build`` to stop a run part way."""

    settings: ScoringSettings
    s3: Any
    sqs: Any
    dynamodb: Any
    build: BuildFunction = dbt_runner.build

    def run(self, trigger: str, run_id: str | None = None) -> RunReport:
        """Run once, or return a report with status "skipped: locked" while another run holds
        the lock. The caller may pass ``run_id`` to put it in its own log lines first."""
        run_id = run_id or str(uuid.uuid4())
        started = time.monotonic()
        lock = RunLock(self.dynamodb, self.settings.lock_table, seconds=self.settings.lock_seconds)
        if not lock.acquire(run_id):
            logger.info(
                "scoring run skipped: lock held", extra={"trigger": trigger, "run_id": run_id}
            )
            return RunReport(run_id, "skipped: locked", trigger)
        try:
            report = self._run_locked(run_id, trigger, started)
        finally:
            lock.release(run_id)
        report.seconds = time.monotonic() - started
        return report

    def _run_locked(self, run_id: str, trigger: str, started: float) -> RunReport:
        settings = self.settings
        state = WarehouseState(self.s3, settings.bucket, settings.state_key)
        db_path = settings.db_path
        snapshot = state.restore(db_path)
        report = RunReport(run_id, "running", trigger)

        with contextlib.closing(warehouse.connect(db_path)) as con:
            enable_s3(con)
            loaded = raw_loader.load_new_objects(con, self.s3, settings.bucket, run_id)
            con.execute("checkpoint")
        report.objects_loaded = len(loaded.objects)
        report.events_processed = loaded.activity_rows

        result = self.build(db_path, quiet=True)
        report.full_refresh = result.full_refresh
        if not result.success:
            failed = [node.unique_id for node in result.failures]
            logger.error(
                "dbt build failed; warehouse not saved",
                extra={
                    "run_id": run_id,
                    "failed_nodes": failed,
                    "rule_problems": result.rule_problems,
                },
            )
            raise ScoringFailedError(
                f"dbt build {result.run_id} failed on {len(failed)} nodes: {', '.join(failed[:10])}"
            )

        # The save fails if a newer run saved in between. Saving before publishing means the
        # marts and alerts below always come from the published warehouse.
        snapshot = state.save(db_path, snapshot)

        with contextlib.closing(warehouse.connect(db_path)) as con:
            enable_s3(con)
            report.leads_scored = _count_rows(con, settings.marts_schema, SCORED_LEADS_TABLE)
            tables = publish.publish_marts(
                con, settings.bucket, settings.marts_prefix, settings.marts_schema
            )
            report.published_tables = [table.table for table in tables]
            pending = alerts.pending_alerts(con, settings.marts_schema)
            handoff = None
            if pending:
                handoff = alerts.hand_off(
                    con,
                    self.sqs,
                    settings.alert_queue_url,
                    pending,
                    run_id,
                    max_age=settings.alert_max_age,
                )
                con.execute("checkpoint")
        if handoff is not None:
            # A second conditional save records the hand-off. If the run dies before it,
            # the next run queues the same alerts again and notify drops the repeats.
            state.save(db_path, snapshot)
            report.alerts_raised = len(handoff.queued)
            report.alerts_expired = len(handoff.expired)
            if handoff.failed:
                raise alerts.AlertHandoffError(
                    f"{len(handoff.failed)} alerts not queued, retried next run: "
                    f"{', '.join(handoff.failed[:10])}"
                )
        report.status = "success"
        report.seconds = time.monotonic() - started
        logger.info("scoring run finished", extra=report.to_dict())
        return report


def _count_rows(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute(f'select count(*) from {schema}."{table}"').fetchone()
    return int(row[0]) if row else 0


def describe_trigger(event: dict[str, Any]) -> dict[str, Any]:
    """Name what started a run: the schedule, new raw objects (with their keys), or a caller.

    The keys only go to the log: a run loads every raw object not loaded yet, so a missed or
    repeated notification changes nothing.
    """
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return {"trigger": "schedule"}
    records = event.get("Records")
    if isinstance(records, list):
        keys = []
        for record in records:
            try:
                body = json.loads(record.get("body") or "{}")
            except json.JSONDecodeError:
                continue
            for s3_record in body.get("Records", []) if isinstance(body, dict) else []:
                key = s3_record.get("s3", {}).get("object", {}).get("key")
                if key:
                    keys.append(unquote_plus(key))
        return {"trigger": "raw_objects", "object_keys": keys, "messages": len(records)}
    return {"trigger": "direct"}
