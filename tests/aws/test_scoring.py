"""Scoring run: lock, raw loading over httpfs, conditional save, publishing and alert hand-off.

A small function that derives marts.lead_scores and marts.hot_lead_alerts from
raw.activities replaces the dbt build, so these tests cover everything around the build in
seconds. The end-to-end test runs the real models.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from conftest import BUCKET, LOCK_TABLE, REGION, fresh_handler, load_event, receive_all

from lead_scoring.aws import alerts, raw_loader, scoring
from lead_scoring.aws.duckdb_s3 import enable_s3, httpfs_extension_path
from lead_scoring.aws.lock import RunLock
from lead_scoring.aws.scoring import ScoringRun, ScoringSettings, describe_trigger
from lead_scoring.aws.state import StaleWarehouseError, WarehouseState
from lead_scoring.dbt_runner import BuildResult

HOT_SCORE = 30.0


class Killed(BaseException):
    """Stands in for the process dying: not an Exception, so no handler catches it."""


def fake_build(db_path: Path, **_: Any) -> BuildResult:
    """Score 10 points per activity; a lead at HOT_SCORE or more raises one alert."""
    with contextlib.closing(duckdb.connect(str(db_path))) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            """
            create or replace table marts.lead_scores as
            select lead_id, count(*) * 10.0 as score
            from raw.activities
            where lead_id is not null
            group by 1
            """
        )
        con.execute(
            f"""
            create or replace table marts.hot_lead_alerts as
            select
                'alert-' || lead_id as alert_id,
                lead_id,
                'owner.' || lower(lead_id) || '@seller.example' as owner_email,
                score,
                'A' as grade,
                'hot' as stage,
                'Pricing page (30)' as top_reasons,
                'https://www.example.com/pricing; https://www.example.com/demo'
                    as recent_priority_pages,
                current_date::timestamp as entered_at,
                current_date::timestamp as created_at
            from marts.lead_scores
            where score >= {HOT_SCORE}
            """
        )
    return BuildResult(True, "fake-build", False, False, 0.01)


def failed_build(db_path: Path, **_: Any) -> BuildResult:
    return BuildResult(False, "failed-build", False, False, 0.01)


def put_activities(rows: list[dict[str, Any]], day: str = "2024-03-04") -> str:
    key = f"raw/activities/dt={day}/{len(rows)}-{time.monotonic_ns()}.json.gz"
    body = gzip.compress("".join(json.dumps(row) + "\n" for row in rows).encode())
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=body)
    return key


def activity(event_id: str, lead_id: str | None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "lead_id": lead_id,
        "activity_type": "page_view",
        "occurred_at": "2024-03-04T09:00:00.000000Z",
        "loaded_at": "2024-03-04T09:00:01.000000Z",
        "url": "https://www.example.com/pricing",
    }


def make_run(build: Any = fake_build, **overrides: Any) -> ScoringRun:
    settings = ScoringSettings.from_env()
    for name, value in overrides.items():
        object.__setattr__(settings, name, value)
    return ScoringRun(
        settings=settings,
        s3=boto3.client("s3", region_name=REGION),
        sqs=boto3.client("sqs", region_name=REGION),
        dynamodb=boto3.client("dynamodb", region_name=REGION),
        build=build,
    )


def state_object() -> dict[str, Any]:
    response = boto3.client("s3", region_name=REGION).get_object(
        Bucket=BUCKET, Key="state/lead_scoring.duckdb"
    )
    return {"etag": response["ETag"], "body": response["Body"].read()}


def queued_alert_ids(queue_url: str) -> list[str]:
    return sorted(json.loads(m["Body"])["alert_id"] for m in receive_all(queue_url))


# ---------------------------------------------------------------- lock


def test_lock_excludes_second_owner(aws: dict[str, str]) -> None:
    lock = RunLock(boto3.client("dynamodb", region_name=REGION), LOCK_TABLE)

    assert lock.acquire("run-a")
    assert not lock.acquire("run-b")
    assert lock.holder() == "run-a"
    assert not lock.release("run-b")
    assert lock.release("run-a")
    assert lock.acquire("run-b")


def test_expired_lock_is_taken_over(aws: dict[str, str]) -> None:
    # Given a lock whose holder died and whose expiry has passed
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    RunLock(dynamodb, LOCK_TABLE, seconds=-1).acquire("dead-run")

    # When another run requests it
    acquired = RunLock(dynamodb, LOCK_TABLE).acquire("new-run")

    # Then it gets the lock, and the dead run cannot release it any more
    assert acquired
    assert RunLock(dynamodb, LOCK_TABLE).holder() == "new-run"
    assert not RunLock(dynamodb, LOCK_TABLE).release("dead-run")


# ---------------------------------------------------------------- state


def test_stale_save_is_rejected(aws: dict[str, str], tmp_path: Path) -> None:
    # Given two runs that restored the same warehouse version
    s3 = boto3.client("s3", region_name=REGION)
    state = WarehouseState(s3, BUCKET)
    db_path = tmp_path / "w.duckdb"
    db_path.write_bytes(b"version one")
    first = state.save(db_path, state.restore(tmp_path / "empty.duckdb"))
    restored = state.restore(db_path)
    assert restored == first

    # When one saves and the other saves afterwards from the same version
    db_path.write_bytes(b"version two")
    state.save(db_path, restored)
    db_path.write_bytes(b"stale version")

    # Then the second save is rejected and the newer warehouse stays
    with pytest.raises(StaleWarehouseError, match="changed since this run restored"):
        state.save(db_path, restored)
    body = s3.get_object(Bucket=BUCKET, Key="state/lead_scoring.duckdb")["Body"].read()
    assert body == b"version two"


def test_first_save_does_not_overwrite_concurrent_first(
    aws: dict[str, str], tmp_path: Path
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    state = WarehouseState(s3, BUCKET)
    nothing = state.restore(tmp_path / "a.duckdb")
    (tmp_path / "a.duckdb").write_bytes(b"from run a")
    (tmp_path / "b.duckdb").write_bytes(b"from run b")

    state.save(tmp_path / "a.duckdb", nothing)

    with pytest.raises(StaleWarehouseError):
        state.save(tmp_path / "b.duckdb", nothing)


# ---------------------------------------------------------------- raw loading


def test_httpfs_loads_from_bundled_file() -> None:
    path = httpfs_extension_path()
    con = duckdb.connect()
    con.execute("set autoinstall_known_extensions = false")
    con.execute(f"load '{path}'")

    loaded = con.execute(
        "select loaded from duckdb_extensions() where extension_name = 'httpfs'"
    ).fetchone()

    assert path.name == "httpfs.duckdb_extension"
    assert loaded == (True,)


def test_raw_objects_load_once(served_aws: dict[str, str], tmp_path: Path) -> None:
    # Given activities as gzip NDJSON and leads as CSV under raw/
    s3 = boto3.client("s3", region_name=REGION)
    put_activities([activity("e1", "L-1"), activity("e2", None)])
    s3.put_object(
        Bucket=BUCKET,
        Key="raw/leads/export-1.csv",
        Body=b"lead_id,email,owner_email\nL-1,a@buyer.example,o@seller.example\n",
    )
    s3.put_object(Bucket=BUCKET, Key="raw/leads/notes.txt", Body=b"not data")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    enable_s3(con)
    stamp = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)

    # When new objects are loaded twice
    first = raw_loader.load_new_objects(con, s3, BUCKET, "run-1", loaded_at=stamp)
    second = raw_loader.load_new_objects(con, s3, BUCKET, "run-2")

    # Then each object's rows arrive once, with the load time as loaded_at
    assert first.rows_by_table == {"activities": 2, "leads": 1}
    assert first.skipped_keys == ["raw/leads/notes.txt"]
    assert second.objects == []
    activities = con.execute(
        "select event_id, lead_id, loaded_at from raw.activities order by 1"
    ).fetchall()
    assert activities == [
        ("e1", "L-1", "2024-03-05T12:00:00.000000Z"),
        ("e2", None, "2024-03-05T12:00:00.000000Z"),
    ]
    lead = con.execute("select lead_id, email, country from raw.leads").fetchall()
    assert lead == [("L-1", "a@buyer.example", None)]
    recorded = con.execute(
        "select raw_table, row_count, run_id from meta.loaded_objects order by 1"
    ).fetchall()
    assert recorded == [("activities", 2, "run-1"), ("leads", 1, "run-1")]


# ---------------------------------------------------------------- runs


def test_run_publishes_and_hands_off_once(served_aws: dict[str, str], tmp_path: Path) -> None:
    # Given activities that make L-1 hot (3 events) and L-2 not (1 event)
    put_activities([activity(f"e{i}", "L-1") for i in range(3)] + [activity("e9", "L-2")])

    # When a run completes
    report = make_run().run("schedule")

    # Then the warehouse is saved, the marts are Parquet in S3 and one alert is queued
    assert report.status == "success"
    assert report.objects_loaded == 1
    assert report.events_processed == 4
    assert report.leads_scored == 2
    assert report.alerts_raised == 1
    assert set(report.published_tables) == {"hot_lead_alerts", "lead_scores"}
    assert queued_alert_ids(served_aws["alert_queue_url"]) == ["alert-L-1"]
    parquet = tmp_path / "lead_scores.parquet"
    boto3.client("s3", region_name=REGION).download_file(
        BUCKET, "marts/lead_scores/data.parquet", str(parquet)
    )
    scores = duckdb.sql(
        f"select lead_id, score from read_parquet('{parquet}') order by 1"
    ).fetchall()
    assert scores == [("L-1", 30.0), ("L-2", 10.0)]

    # When a second run finds no new objects
    again = make_run().run("schedule")

    # Then it loads nothing and queues no alert again
    assert again.status == "success"
    assert again.objects_loaded == 0
    assert again.alerts_raised == 0
    assert queued_alert_ids(served_aws["alert_queue_url"]) == []


def test_new_crossing_after_run_is_queued(served_aws: dict[str, str]) -> None:
    put_activities([activity(f"e{i}", "L-1") for i in range(3)])
    make_run().run("schedule")
    receive_all(served_aws["alert_queue_url"])

    put_activities([activity(f"f{i}", "L-2") for i in range(3)], day="2024-03-05")
    report = make_run().run("raw_objects")

    assert report.alerts_raised == 1
    assert queued_alert_ids(served_aws["alert_queue_url"]) == ["alert-L-2"]


def test_old_alerts_expire_unsent(served_aws: dict[str, str]) -> None:
    # Given a maximum alert age shorter than the alerts' age (entered at midnight)
    put_activities([activity(f"e{i}", "L-1") for i in range(3)])
    run = make_run(alert_max_age=timedelta(seconds=0))

    # When the run hands off alerts
    report = run.run("schedule")

    # Then the alert is recorded as expired, not queued, and not raised again later
    assert report.alerts_raised == 0
    assert report.alerts_expired == 1
    assert queued_alert_ids(served_aws["alert_queue_url"]) == []
    assert make_run().run("schedule").alerts_raised == 0


def test_concurrent_runs_never_overlap(served_aws: dict[str, str]) -> None:
    # Given a run that is inside its build
    put_activities([activity("e1", "L-1")])
    inside_build = threading.Event()
    finish_build = threading.Event()

    def slow_build(db_path: Path, **kwargs: Any) -> BuildResult:
        inside_build.set()
        assert finish_build.wait(timeout=30)
        return fake_build(db_path, **kwargs)

    reports: dict[str, Any] = {}
    first = threading.Thread(
        target=lambda: reports.update(first=make_run(slow_build).run("schedule"))
    )
    first.start()
    assert inside_build.wait(timeout=30)

    # When a second run starts at the same time
    second = make_run().run("raw_objects")
    finish_build.set()
    first.join(timeout=60)

    # Then the second is skipped, the first completes, and the lock is free again
    assert second.status == "skipped: locked"
    assert reports["first"].status == "success"
    lock = RunLock(boto3.client("dynamodb", region_name=REGION), LOCK_TABLE)
    assert lock.holder() is None


def test_killed_build_leaves_published_warehouse(served_aws: dict[str, str]) -> None:
    # Given a published warehouse and new raw objects
    put_activities([activity("e1", "L-1")])
    make_run().run("schedule")
    published = state_object()
    put_activities([activity(f"e{i}", "L-1") for i in range(2, 5)], day="2024-03-05")

    def killed_build(db_path: Path, **_: Any) -> BuildResult:
        raise Killed("process killed during dbt build")

    # When the next run dies inside its build
    with pytest.raises(Killed):
        make_run(killed_build).run("raw_objects")

    # Then the state object is untouched and no alert was queued
    assert state_object() == published
    assert queued_alert_ids(served_aws["alert_queue_url"]) == []

    # And the next run loads the objects the dead run had read: nothing is lost
    recovered = make_run().run("schedule")
    assert recovered.objects_loaded == 1
    assert recovered.events_processed == 3
    assert recovered.alerts_raised == 1
    assert state_object()["etag"] != published["etag"]


def test_failed_build_saves_nothing(served_aws: dict[str, str]) -> None:
    put_activities([activity("e1", "L-1")])
    make_run().run("schedule")
    published = state_object()
    put_activities([activity("e2", "L-1")], day="2024-03-05")

    with pytest.raises(RuntimeError, match="dbt build failed-build failed"):
        make_run(failed_build).run("schedule")

    assert state_object() == published
    lock = RunLock(boto3.client("dynamodb", region_name=REGION), LOCK_TABLE)
    assert lock.holder() is None


def test_handler_emits_run_metrics(
    served_aws: dict[str, str],
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the run_scoring function with the stand-in build
    handler = fresh_handler("run_scoring")
    monkeypatch.setattr(handler.runner, "build", fake_build)
    put_activities([activity(f"e{i}", "L-1") for i in range(3)])

    # When the schedule starts it
    response = handler.lambda_handler(load_event("schedule.json"), lambda_context)

    # Then it reports the run and emits the four run metrics
    assert response["status"] == "success"
    assert response["trigger"] == "schedule"
    metric_lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    assert len(metric_lines) == 1
    names = {
        metric["Name"] for metric in metric_lines[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    }
    assert names == {"EventsProcessed", "LeadsScored", "AlertsRaised", "RunSeconds"}
    # EMF stores a metric's values as a list when there may be several
    assert metric_lines[0]["AlertsRaised"] in (1.0, [1.0])
    assert metric_lines[0]["EventsProcessed"] in (3.0, [3.0])


def test_finished_line_has_the_duration(
    served_aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    logged: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        scoring.logger, "info", lambda message, extra=None: logged.append((message, extra or {}))
    )
    put_activities([activity("e1", "L-1")])

    report = make_run().run("schedule")

    finished = [extra for message, extra in logged if message == "scoring run finished"]
    assert len(finished) == 1
    assert 0 < finished[0]["seconds"] <= report.seconds


def test_trigger_names_schedule_and_objects() -> None:
    assert describe_trigger(load_event("schedule.json")) == {"trigger": "schedule"}
    from_queue = describe_trigger(load_event("sqs_raw_objects.json"))
    assert from_queue == {
        "trigger": "raw_objects",
        "object_keys": ["raw/activities/dt=2024-03-04/0b6f4c1e.json.gz"],
        "messages": 1,
    }
    assert describe_trigger({}) == {"trigger": "direct"}


def test_pending_alerts_without_outbox_is_empty(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))

    assert alerts.pending_alerts(con) == []


def test_mask_and_hash_hide_addresses() -> None:
    assert alerts.mask_email("dana.owner@seller.example") == "d***@seller.example"
    assert alerts.mask_email("no-at-sign") == "***"
    assert alerts.mask_email(None) is None
    tag = alerts.email_hash("Dana.Owner@Seller.example")
    assert tag == alerts.email_hash("dana.owner@seller.example")
    assert tag is not None
    assert "@" not in tag
