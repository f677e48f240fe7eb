"""History, stage transitions and hot-lead alerts over a lead's days, with as-of scoring."""

from __future__ import annotations

from pathlib import Path

import pytest
from warehouse_helpers import Build, query

from lead_scoring import warehouse

pytestmark = pytest.mark.slow

# A strong fit: senior title, marketing, 200 employees, software, United States (grade A+).
LEAD = (
    "L1", "ann@acme.example", "A1", "owner@example.com", "VP Marketing", "Marketing",
    "United States", "Software", "200", "5000000", "web",
    "2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z",
)  # fmt: skip

# (day, activity type, asset): forms score 50 (75 for a first demo request), a lost
# opportunity -100, so the lead crosses the hot threshold of 100 points several times. From
# the third active day on, the returning-visitor metric rule adds 10. Scores by day:
# 2 Nov 125, 3 Nov 25, 4 Nov 135, 5 Nov 35, 12 Nov 135.
TIMELINE = (
    ("2026-11-02", "form_submission", "Demo Request"),
    ("2026-11-02", "form_submission", "Contact Us"),
    ("2026-11-03", "opportunity_lost", None),
    ("2026-11-04", "form_submission", "Contact Us"),
    ("2026-11-04", "form_submission", "Pricing Inquiry"),
    ("2026-11-05", "opportunity_lost", None),
    ("2026-11-12", "form_submission", "Contact Us"),
    ("2026-11-12", "form_submission", "Contact Us"),
)


@pytest.fixture
def timeline_db(tmp_path: Path) -> Path:
    db_path = tmp_path / "timeline.duckdb"
    con = warehouse.connect(db_path)
    try:
        warehouse.create_raw_tables(con)
        warehouse.insert_rows(con, "leads", [LEAD])
        events = [
            (f"t{number}", "L1", None, activity_type, f"{day}T10:0{number % 10}:00Z",
             "2026-11-12T23:00:00Z", None, asset, None, "Mozilla/5.0", None)
            for number, (day, activity_type, asset) in enumerate(TIMELINE)
        ]  # fmt: skip
        warehouse.insert_rows(con, "activities", events)
    finally:
        con.close()
    return db_path


def score_on(build: Build, db_path: Path, day: str) -> None:
    build(db_path, dbt_vars={"as_of_date": day})


def test_as_of_date_counts_only_earlier_activity(timeline_db: Path, build: Build) -> None:
    score_on(build, timeline_db, "2026-11-02")
    (score,) = query(timeline_db, "select score from marts.lead_scores")[0]
    assert score == 125

    score_on(build, timeline_db, "2026-11-03")
    (score,) = query(timeline_db, "select score from marts.lead_scores")[0]
    assert score == 25


def test_history_and_transitions_per_day(timeline_db: Path, build: Build) -> None:
    for day in ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-12"):
        score_on(build, timeline_db, day)

    history = query(
        timeline_db, "select as_of_date::varchar, score, stage from marts.lead_score_history "
        "order by as_of_date"
    )  # fmt: skip
    assert [(day, float(score), stage) for day, score, stage in history] == [
        ("2026-11-02", 125.0, "hot"),
        ("2026-11-03", 25.0, "nurture"),
        ("2026-11-04", 135.0, "hot"),
        ("2026-11-05", 35.0, "nurture"),
        ("2026-11-12", 135.0, "hot"),
    ]
    transitions = query(
        timeline_db,
        "select from_stage, to_stage, entered_on::varchar, left_on::varchar "
        "from marts.lead_stage_transitions order by entered_on",
    )
    assert transitions == [
        (None, "hot", "2026-11-02", "2026-11-03"),
        ("hot", "nurture", "2026-11-03", "2026-11-04"),
        ("nurture", "hot", "2026-11-04", "2026-11-05"),
        ("hot", "nurture", "2026-11-05", "2026-11-12"),
        ("nurture", "hot", "2026-11-12", None),
    ]


def test_alert_once_per_crossing_after_quiet_period(timeline_db: Path, build: Build) -> None:
    score_on(build, timeline_db, "2026-11-02")
    score_on(build, timeline_db, "2026-11-02")
    alerts = query(timeline_db, "select alert_id, owner_email, score from marts.hot_lead_alerts")
    assert alerts == [("hot|L1|2026-11-02", "owner@example.com", 125.0)]

    # Cools down on 3 Nov and is hot again on 4 Nov: within the 7-day quiet period
    for day in ("2026-11-03", "2026-11-04", "2026-11-05"):
        score_on(build, timeline_db, day)
    (count,) = query(timeline_db, "select count(*) from marts.hot_lead_alerts")[0]
    assert count == 1

    # Hot again on 12 Nov, ten days after the last alert
    score_on(build, timeline_db, "2026-11-12")
    alert_ids = [row[0] for row in query(timeline_db, "select alert_id from marts.hot_lead_alerts")]
    assert sorted(alert_ids) == ["hot|L1|2026-11-02", "hot|L1|2026-11-12"]


def test_backfill_writes_history_without_alerts(timeline_db: Path, build: Build) -> None:
    build(timeline_db, dbt_vars={"as_of_date": "2026-11-02", "backfill": True})
    (hot_days,) = query(
        timeline_db, "select count(*) from marts.lead_score_history where stage = 'hot'"
    )[0]
    (alerts,) = query(timeline_db, "select count(*) from marts.hot_lead_alerts")[0]
    assert hot_days == 1
    assert alerts == 0


def test_backfill_after_a_later_build(timeline_db: Path, build: Build) -> None:
    # A second lead active only on 12 Nov, after the backfilled day
    con = warehouse.connect(timeline_db)
    try:
        warehouse.insert_rows(con, "leads", [("L2", "bo@acme.example", *LEAD[2:])])
        warehouse.insert_rows(
            con,
            "activities",
            [("late-1", "L2", None, "form_submission", "2026-11-12T11:00:00Z",
              "2026-11-12T23:00:00Z", None, "Contact Us", None, "Mozilla/5.0", None)],
        )  # fmt: skip
    finally:
        con.close()
    # Scored on 12 Nov first, so the incremental tables hold days up to 12 Nov
    score_on(build, timeline_db, "2026-11-12")

    backfill = build(timeline_db, dbt_vars={"as_of_date": "2026-11-03", "backfill": True})

    assert not backfill.full_refresh
    (last_day,) = query(timeline_db, "select max(activity_date) from marts.score_ledger")[0]
    scores = dict(query(timeline_db, "select lead_id, score from marts.lead_scores"))
    assert str(last_day) == "2026-11-03"
    assert scores == {"L1": 25, "L2": 0}
