"""Malformed input ends in the quarantine with a reason, never silently dropped."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from warehouse_helpers import Build, execute, query

from lead_scoring import paths, warehouse

pytestmark = pytest.mark.slow

LEAD = (
    "L1", "ann@acme.example", None, "owner@example.com", "VP Marketing", "Marketing",
    "United States", "Software", "200", None, "web",
    "2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z",
)  # fmt: skip


def event(event_id: str, **fields: str) -> tuple:
    values = {
        "lead_id": "L1",
        "activity_type": "session",
        "occurred_at": "2026-11-20T10:00:00Z",
        "loaded_at": "2026-11-20T10:01:00Z",
        **fields,
    }
    columns = warehouse.RAW_TABLES["activities"]
    return tuple(event_id if name == "event_id" else values.get(name) for name in columns)


@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    db_path = tmp_path / "tiny.duckdb"
    con = warehouse.connect(db_path)
    try:
        warehouse.create_raw_tables(con)
        warehouse.insert_rows(con, "leads", [LEAD])
        warehouse.insert_rows(
            con,
            "activities",
            [
                event("ok", duration_seconds="600"),
                event("nan", duration_seconds="NaN"),
                event("infinite", duration_seconds="inf"),
                event("two-days", duration_seconds="172800"),
            ],
        )
        warehouse.insert_rows(
            con,
            "conversions",
            [
                ("L1", "2026-11-25T00:00:00Z", "won", "-1e400"),
                ("NOBODY", "2026-11-25T00:00:00Z", "won", "100"),
            ],
        )
        warehouse.insert_rows(con, "lead_attributes", [("NOBODY", "requested_demo", "yes")])
    finally:
        con.close()
    return db_path


def reasons(db_path: Path) -> dict[str, str]:
    return dict(query(db_path, "select record_id, reason from marts.quarantine"))


def test_non_finite_numbers_are_quarantined(tiny_db: Path, build: Build) -> None:
    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    found = reasons(tiny_db)
    assert found["nan"] == "invalid duration_seconds"
    assert found["infinite"] == "invalid duration_seconds"
    assert found["two-days"] == "invalid duration_seconds"
    assert "ok" not in found
    assert found["L1"] == "amount is not a number"


def test_rows_of_unknown_leads_are_listed(tiny_db: Path, build: Build) -> None:
    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    listed = query(
        tiny_db,
        "select source_table from marts.quarantine where record_id = 'NOBODY' "
        "and reason like 'lead_id not found%' order by 1",
    )
    assert listed == [("conversions",), ("lead_attributes",)]


def test_out_of_order_load_rebuilds_all(tiny_db: Path, build: Build) -> None:
    first = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    assert first.full_refresh
    # An event stamped with a loaded_at older than events already processed: selection
    # by load time would never read it.
    execute(
        tiny_db,
        "insert into raw.activities (event_id, lead_id, activity_type, occurred_at, loaded_at)"
        " values ('backdated', 'L1', 'chat', '2026-11-18T09:00:00Z', '2026-11-19T00:00:00Z')",
    )
    second = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    assert second.rows_behind_watermark == 1
    assert second.full_refresh
    assert "backdated" not in reasons(tiny_db)
    (chat_events,) = query(
        tiny_db, "select count(*) from intermediate.int_points_daily where rule_id = 'act_chat'"
    )[0]
    assert chat_events == 1

    # With every raw row accounted for, the next run is incremental again.
    third = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    assert third.rows_behind_watermark == 0
    assert not third.full_refresh


def test_redelivery_in_the_last_instant_rebuilds_all(tiny_db: Path, build: Build) -> None:
    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    # Another delivery of "ok", loaded in the same second as the newest processed row. A
    # full rebuild keeps it as the first delivery, because it happened earlier.
    execute(
        tiny_db,
        "insert into raw.activities (event_id, lead_id, activity_type, occurred_at, loaded_at)"
        " values ('ok', 'L1', 'chat', '2026-11-20T09:00:00Z', '2026-11-20T10:01:00Z')",
    )

    second = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})

    assert second.rows_behind_watermark == 1
    assert second.full_refresh
    kept_types = query(
        tiny_db, "select activity_type from intermediate.int_activities where event_id = 'ok'"
    )
    assert kept_types == [("chat",)]


def test_rows_removed_from_raw_rebuild_all(tiny_db: Path, build: Build) -> None:
    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    execute(tiny_db, "delete from raw.activities where event_id = 'nan'")

    second = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})

    assert second.rows_behind_watermark == -1
    assert second.full_refresh
    assert "nan" not in reasons(tiny_db)


def test_future_load_stamp_keeps_runs_incremental(tiny_db: Path, build: Build) -> None:
    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    insert = (
        "insert into raw.activities (event_id, lead_id, activity_type, occurred_at, loaded_at)"
        " values (?, 'L1', 'chat', '2026-11-21T09:00:00Z', ?)"
    )
    # A loader with a broken clock stamps a row decades ahead
    execute(tiny_db, insert, ["stamped-2099", "2099-01-01T00:00:00Z"])
    second = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    execute(tiny_db, insert, ["next", "2026-11-22T00:00:00Z"])

    third = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})

    assert not second.full_refresh
    assert third.rows_behind_watermark == 0
    assert not third.full_refresh
    kept_ids = query(
        tiny_db,
        "select event_id from intermediate.int_activities "
        "where event_id in ('stamped-2099', 'next') order by 1",
    )
    assert kept_ids == [("next",), ("stamped-2099",)]


def test_epoch_placeholder_is_quarantined(tiny_db: Path, build: Build) -> None:
    execute(
        tiny_db,
        "insert into raw.activities (event_id, lead_id, activity_type, occurred_at, loaded_at)"
        " values ('epoch', 'L1', 'chat', '1970-01-01T00:00:00Z', '2026-11-20T10:02:00Z')",
    )
    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    assert reasons(tiny_db)["epoch"] == "occurred_at before 2000-01-01"


def test_unparseable_loaded_at_needs_no_full_refresh(tiny_db: Path, build: Build) -> None:
    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    execute(
        tiny_db,
        "insert into raw.activities (event_id, lead_id, activity_type, occurred_at, loaded_at)"
        " values ('no-load-time', 'L1', 'chat', '2026-11-18T09:00:00Z', 'not a time')",
    )

    second = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})

    assert second.rows_behind_watermark == 0
    assert not second.full_refresh
    assert reasons(tiny_db)["no-load-time"] == "unparseable loaded_at"


def test_new_rows_in_every_time_shape_are_read(tiny_db: Path, build: Build) -> None:
    # Incremental runs parse only the load times that a cheap text test cannot place
    # more than a week behind the watermark (2026-11-20T10:01:00Z here).
    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    insert = (
        "insert into raw.activities (event_id, lead_id, activity_type, occurred_at, loaded_at)"
        " values (?, 'L1', 'chat', '2026-11-10T09:00:00Z', ?)"
    )
    loaded = {
        # Written four days back, read 99 hours later: 2026-11-21T02:00:00 UTC
        "far-offset": "2026-11-16T23:00:00-99:00",
        "padded": "  2026-11-21T00:00:00Z",
        "zone": "2026-11-21 09:00:00 Europe/Berlin",
        # Shaped like an old time but no date at all: quarantined, never lost
        "no-such-day": "2026-02-30T00:00:00Z",
    }
    for event_id, loaded_at in loaded.items():
        execute(tiny_db, insert, [event_id, loaded_at])

    second = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})

    assert second.rows_behind_watermark == 0
    assert not second.full_refresh
    kept_events = query(
        tiny_db,
        "select event_id, loaded_at from intermediate.int_activities"
        " where event_id in ('far-offset', 'padded', 'zone') order by 1",
    )
    assert kept_events == [
        ("far-offset", datetime(2026, 11, 21, 2, 0)),
        ("padded", datetime(2026, 11, 21, 0, 0)),
        ("zone", datetime(2026, 11, 21, 8, 0)),
    ]
    assert reasons(tiny_db)["no-such-day"] == "unparseable loaded_at"


def test_largest_offset_under_a_week(tiny_db: Path) -> None:
    # The cheap test's week rests on the largest offset DuckDB reads
    (latest,) = query(
        tiny_db,
        "select max(try_cast(text as timestamptz)) from (values"
        " ('2026-11-01T24:00:00-99:99'), ('2026-11-01T23:59:59.999999-99:99:99'),"
        " ('2026-11-01T23:59:59-9999'), ('2026-11-01T23:59:59-999:00')) as times (text)",
    )[0]
    assert latest < datetime(2026, 11, 7, tzinfo=latest.tzinfo)


def test_invalid_regular_expression_names_rule(tiny_db: Path, tmp_path: Path, build: Build) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(paths.default_rules_dir(), rules)
    with (rules / "property_rules.csv").open("a") as handle:
        handle.write("prop_bad_regex,Broken pattern,true,job_title,matches,(unclosed[,5,fit\n")

    result = build(tiny_db, rules_dir=rules, expect_failure=True)

    assert not result.success
    assert "property_rules: rule prop_bad_regex: invalid regular expression (unclosed[" in (
        result.rule_problems
    )


def test_offsets_and_padding_parse_to_the_same_instant(tiny_db: Path, build: Build) -> None:
    # Sources stamp times with a UTC offset, a zone name, or spaces around them
    con = warehouse.connect(tiny_db)
    try:
        warehouse.insert_rows(
            con,
            "activities",
            [
                event(
                    "offset",
                    occurred_at="2026-11-20T12:00:00+02:00",
                    loaded_at="2026-11-20T05:01:00-05:00",
                ),
                event(
                    "zone",
                    occurred_at="2026-11-20T11:00:00 Europe/Berlin",
                    loaded_at=" 2026-11-20T10:01:00Z ",
                ),
                event(
                    "padded",
                    occurred_at="  2026-11-20T10:00:00Z  ",
                    loaded_at="2026-11-20 10:01:00",
                ),
            ],
        )
    finally:
        con.close()

    first = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})

    parsed = query(
        tiny_db,
        "select event_id, occurred_at, loaded_at from intermediate.int_activities"
        " where event_id in ('offset', 'zone', 'padded') order by event_id",
    )
    utc = datetime(2026, 11, 20, 10, 0)
    loaded = datetime(2026, 11, 20, 10, 1)
    assert parsed == [("offset", utc, loaded), ("padded", utc, loaded), ("zone", utc, loaded)]
    assert first.full_refresh
    # The build's own check of the load order parses loaded_at as the models do, so the
    # next build finds nothing behind the watermark and stays incremental.
    second = build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})
    assert second.rows_behind_watermark == 0
    assert not second.full_refresh


def test_zone_name_keeps_later_times(tiny_db: Path, build: Build) -> None:
    # One event names its zone; a batch of others, loaded with it, name none (UTC)
    con = warehouse.connect(tiny_db)
    try:
        warehouse.insert_rows(
            con,
            "activities",
            [event("zoned", occurred_at="2026-11-20 11:00:00 Europe/Berlin")]
            + [event(f"plain-{number}", occurred_at="2026-11-20 10:00:00") for number in range(50)],
        )
    finally:
        con.close()

    build(tiny_db, dbt_vars={"as_of_date": "2026-11-30"})

    times = query(
        tiny_db,
        "select distinct occurred_at from intermediate.int_activities"
        " where event_id = 'zoned' or event_id like 'plain-%'",
    )
    assert times == [(datetime(2026, 11, 20, 10, 0),)]
