"""The withheld_points mart against the score ledger, and how the command line prints it."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from warehouse_helpers import query

from lead_scoring import dbt_runner
from lead_scoring.cli_commands import format_build_summary

pytestmark = pytest.mark.slow

# The run_cli fixture in tests/conftest.py: runs `lead-scoring ARGS...` in a subprocess.
CliRunner = Callable[..., subprocess.CompletedProcess[str]]

# Reason in withheld_points -> the score_ledger column it totals.
LEDGER_COLUMNS = {
    "bot": "withheld_bot",
    "first_time": "withheld_first_time",
    "daily_cap": "withheld_cap",
    "decay": "decayed_points",
    "score_limit": "withheld_limit",
}


def ledger_totals(db_path: Path) -> dict[str, Decimal]:
    columns = ", ".join(f"sum({column})" for column in LEDGER_COLUMNS.values())
    (row,) = query(db_path, f"select {columns} from marts.score_ledger")
    return dict(zip(LEDGER_COLUMNS, row, strict=True))


def mart_totals(db_path: Path) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for reason, points in query(db_path, "select reason, points from marts.withheld_points"):
        totals[reason] += points
    return dict(totals)


def test_mart_reconciles_with_ledger(built_sample: Path) -> None:
    ledger = ledger_totals(built_sample)
    mart = mart_totals(built_sample)
    assert set(mart) == set(LEDGER_COLUMNS)
    for reason in LEDGER_COLUMNS:
        assert mart[reason] == ledger[reason], reason
        # The sample withholds points for every reason, so a zero would hide a broken join.
        assert ledger[reason] != 0, reason


def test_bot_points_split_by_reason(built_sample: Path) -> None:
    rows = query(
        built_sample,
        "select detail, events, points from marts.withheld_points where reason = 'bot'",
    )
    by_detail = {detail: (events, points) for detail, events, points in rows}
    # The sample has bot user agents and scanners clicking right after delivery.
    for detail in ("bot user agent", "email link scanner: click right after delivery"):
        events, points = by_detail[detail]
        assert events > 0, detail
        assert points > 0, detail


def test_events_only_for_per_event_reasons(built_sample: Path) -> None:
    rows = query(built_sample, "select reason, events from marts.withheld_points")
    for reason, events in rows:
        if reason in ("bot", "first_time"):
            assert events is not None, reason
        else:
            assert events is None, reason


def test_report_prints_withheld_section(run_cli: CliRunner, built_sample: Path) -> None:
    result = run_cli("report", "--db", str(built_sample))
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("Points withheld:\n", 1)[1].splitlines()
    assert section[0].split() == ["reason", "detail", "events", "points"]
    reasons = [line.split()[0] for line in section[2:]]
    assert reasons == [
        "bot",
        "bot",
        "bot",
        "first_time",
        "daily_cap",
        "daily_cap",
        "decay",
        "decay",
        "score_limit",
        "score_limit",
    ]
    first_time = ledger_totals(built_sample)["first_time"]
    assert section[5].split()[-1] == f"{first_time:,.0f}"


def test_build_summary_totals_line(built_sample: Path) -> None:
    result = dbt_runner.BuildResult(
        success=True, run_id="0" * 32, full_refresh=True, rules_changed=False, seconds=1.0
    )
    lines = format_build_summary(built_sample, result).splitlines()
    (totals_line,) = [line for line in lines if line.startswith("Points withheld: ")]
    parts = totals_line.removeprefix("Points withheld: ").split(", ")
    # Each part is "reason gained [/ lost] [(N events)]"; gained plus lost is the net.
    printed = {}
    for part in parts:
        words = part.split(" (")[0].split()
        amounts = [Decimal(word.replace(",", "")) for word in words[1:] if word != "/"]
        printed[words[0]] = sum(amounts)
    ledger = ledger_totals(built_sample)
    assert list(printed) == list(LEDGER_COLUMNS)
    for reason, points in ledger.items():
        assert printed[reason] == round(Decimal(points), 2), reason
