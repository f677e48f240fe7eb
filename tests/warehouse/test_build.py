"""A full build of generated sample data: every mart, checked against independent Python."""

from __future__ import annotations

import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from warehouse_helpers import execute, query

from lead_scoring import dbt_runner

pytestmark = pytest.mark.slow

MARTS = (
    "score_ledger",
    "lead_scores",
    "lead_category_scores",
    "lead_grades",
    "lead_qualification",
    "account_scores",
    "scoring_performance",
    "scoring_auc",
    "quarantine",
    "lead_score_history",
    "lead_stage_transitions",
    "hot_lead_alerts",
)


def pairwise_auc(values: list[float], converted: list[bool]) -> float:
    """Return the share of (converted, not converted) pairs ranked right, ties counting half."""
    positives = [value for value, hit in zip(values, converted, strict=True) if hit]
    negatives = [value for value, hit in zip(values, converted, strict=True) if not hit]
    wins = 0.0
    for positive in positives:
        for negative in negatives:
            if positive > negative:
                wins += 1.0
            elif positive == negative:
                wins += 0.5
    return wins / (len(positives) * len(negatives))


@pytest.mark.parametrize("mart", MARTS)
def test_every_mart_has_rows(built_sample: Path, mart: str) -> None:
    (count,) = query(built_sample, f"select count(*) from marts.{mart}")[0]
    assert count > 0


def test_ledger_sums_exactly_to_score(built_sample: Path) -> None:
    ledger = query(built_sample, "select lead_id, points from marts.score_ledger")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for lead_id, points in ledger:
        totals[lead_id] += points
    scores = query(built_sample, "select lead_id, score from marts.lead_scores")
    mismatched = [
        (lead_id, score) for lead_id, score in scores if score != totals.get(lead_id, Decimal(0))
    ]
    assert scores
    assert mismatched == []


def test_ledger_records_every_kind_of_withholding(built_sample: Path) -> None:
    row = query(
        built_sample,
        """
        select
            count(*) filter (where withheld_bot != 0),
            count(*) filter (where withheld_first_time != 0),
            count(*) filter (where withheld_cap != 0),
            count(*) filter (where decayed_points != 0),
            count(*) filter (where withheld_limit != 0)
        from marts.score_ledger
        """,
    )[0]
    bot, first_time, cap, decayed, limit = row
    assert bot > 0
    assert first_time > 0
    assert cap > 0
    assert decayed > 0
    assert limit > 0


def test_score_auc_matches_pairwise_python(built_sample: Path) -> None:
    rows = query(built_sample, "select score, is_converted from intermediate.int_lead_evaluation")
    expected = pairwise_auc([float(score) for score, _ in rows], [hit for _, hit in rows])
    (auc,) = query(built_sample, "select auc from marts.scoring_auc where measure = 'score'")[0]
    assert auc == pytest.approx(expected, abs=1e-9)


def test_grade_auc_matches_pairwise_python(built_sample: Path) -> None:
    rows = query(
        built_sample,
        "select grade_step, is_converted from marts.lead_qualification "
        "where grade_step is not null",
    )
    expected = pairwise_auc([float(step) for step, _ in rows], [hit for _, hit in rows])
    (auc,) = query(built_sample, "select auc from marts.scoring_auc where measure = 'grade'")[0]
    assert auc == pytest.approx(expected, abs=1e-9)


def test_conversion_rate_by_grade_matches_python(built_sample: Path) -> None:
    rows = query(built_sample, "select grade, is_converted from marts.lead_qualification")
    leads: dict[str, int] = defaultdict(int)
    conversions: dict[str, int] = defaultdict(int)
    for grade, hit in rows:
        leads[grade or "none"] += 1
        conversions[grade or "none"] += int(hit)
    published = query(
        built_sample,
        "select bucket, leads, conversions, conversion_rate from marts.scoring_performance "
        "where dimension = 'grade'",
    )
    assert {bucket for bucket, *_ in published} == set(leads)
    for bucket, bucket_leads, bucket_conversions, rate in published:
        assert bucket_leads == leads[bucket], bucket
        assert bucket_conversions == conversions[bucket], bucket
        assert rate == pytest.approx(conversions[bucket] / leads[bucket]), bucket


def test_generated_model_predicts_conversion(built_sample: Path) -> None:
    (auc,) = query(built_sample, "select auc from marts.scoring_auc where measure = 'score'")[0]
    assert auc > 0.7


def test_quarantine_holds_each_kind_of_dirt(built_sample: Path) -> None:
    reasons = {
        reason for (reason,) in query(built_sample, "select distinct reason from marts.quarantine")
    }
    assert "duplicate event_id (re-delivery)" in reasons
    assert "unknown activity_type" in reasons
    assert "missing lead_id and visitor_id" in reasons
    assert "unparseable occurred_at" in reasons
    assert "occurred_at in the future" in reasons
    assert "lead_id not found in leads (held until the lead arrives)" in reasons
    assert "missing lead_id" in reasons


def test_no_raw_activity_is_lost(built_sample: Path) -> None:
    """Every raw event row is kept (scored or pending), or quarantined with a reason."""
    (raw_rows,) = query(built_sample, "select count(*) from raw.activities")[0]
    (kept,) = query(built_sample, "select count(*) from intermediate.int_activities")[0]
    (rejected,) = query(
        built_sample,
        "select count(*) from marts.quarantine where source_table = 'activities' "
        "and reason not like 'lead_id not found%'",
    )[0]
    assert kept + rejected == raw_rows


def test_bots_and_link_scanners_are_flagged(built_sample: Path) -> None:
    reasons = dict(
        query(
            built_sample,
            "select bot_reason, count(*) from intermediate.int_activities_scored "
            "where bot_reason is not null group by 1",
        )
    )
    assert reasons.get("bot user agent", 0) > 0
    assert reasons.get("email link scanner: click right after delivery", 0) > 0


def test_every_lead_has_one_qualification_row(built_sample: Path) -> None:
    (leads,) = query(built_sample, "select count(*) from staging.stg_leads")[0]
    (rows, distinct_leads, staged) = query(
        built_sample,
        "select count(*), count(distinct lead_id), count(stage) from marts.lead_qualification",
    )[0]
    assert rows == leads
    assert distinct_leads == leads
    assert staged == leads


def test_not_null_columns_with_nulls_in_two_columns(built_sample: Path, tmp_path: Path) -> None:
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)
    # Two leads each lose one value of a different listed column
    execute(
        db_path,
        """
        update marts.lead_scores
        set score = case when lead_id = first_lead then null else score end,
            as_of_date = case when lead_id = last_lead then null else as_of_date end
        from (select min(lead_id) as first_lead, max(lead_id) as last_lead
              from marts.lead_scores) as picked
        where lead_id in (first_lead, last_lead)
        """,
    )

    result = dbt_runner.invoke_dbt(
        ["test", "--select", "lead_scores,test_name:not_null_columns", "--quiet"], db_path
    )

    # One test covers every not-null column of the table, and it counts both rows
    outcomes = [(run.node.name, str(run.status), run.failures) for run in result.result]
    assert len(outcomes) == 1
    name, status, failures = outcomes[0]
    assert name.startswith("not_null_columns_lead_scores_")
    assert (status, failures) == ("fail", 2)
