"""Constants and queries shared by the warehouse tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from lead_scoring import dbt_runner
from lead_scoring.generate import GeneratorConfig

AS_OF = "2025-06-01"
REFERENCE_DATE = date(2025, 6, 1)
SAMPLE = GeneratorConfig(leads=300, events=9_000, seed=11, reference_date=REFERENCE_DATE)

# Marts whose content depends only on the raw data, the rules and the scoring date.
# History, transitions and alerts also depend on when each run happened.
DETERMINISTIC_MARTS = (
    "marts.score_ledger",
    "marts.lead_scores",
    "marts.lead_category_scores",
    "marts.lead_grades",
    "marts.lead_qualification",
    "marts.account_scores",
    "marts.scoring_performance",
    "marts.scoring_auc",
    "marts.quarantine",
    "intermediate.int_points_daily",
    "intermediate.int_engagement_daily",
    "intermediate.int_activities",
)

Build = Callable[..., dbt_runner.BuildResult]


def query(db_path: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with contextlib.closing(duckdb.connect(str(db_path), read_only=True)) as con:
        return con.execute(sql, parameters or []).fetchall()


def table_rows(db_path: Path, table: str) -> list[tuple]:
    """Return every row of a table, sorted, so two warehouses can be compared row for row."""
    rows = query(db_path, f"select * from {table}")
    return sorted(rows, key=lambda row: tuple("" if value is None else str(value) for value in row))
