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
    "marts.withheld_points",
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
    "intermediate.int_activity_rejects",
    "intermediate.int_activity_points_decayed",
    "intermediate.int_metric_points",
    "intermediate.int_inactivity_decay",
)

Build = Callable[..., dbt_runner.BuildResult]


def query(db_path: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with contextlib.closing(duckdb.connect(str(db_path), read_only=True)) as con:
        return con.execute(sql, parameters or []).fetchall()


def table_rows(db_path: Path, table: str) -> list[tuple]:
    """Return every row of a table, sorted, so two warehouses can be compared row for row.

    processed_at records which run read an event, so it differs between warehouses built
    in different runs and is left out.
    """
    columns = query(
        db_path,
        "select column_name from information_schema.columns "
        "where table_schema || '.' || table_name = ? and column_name != 'processed_at' "
        "order by ordinal_position",
        [table],
    )
    listed = ", ".join(f'"{name}"' for (name,) in columns)
    rows = query(db_path, f"select {listed} from {table}")
    return sorted(rows, key=lambda row: tuple("" if value is None else str(value) for value in row))


def split_activities(db_path: Path, cut_points: tuple[float, ...]) -> list[str]:
    """Move raw.activities aside and return the loaded_at cut-offs that split it in batches.

    The rows wait in raw.activities_pending; release_batch() moves each batch back. Events
    that arrived late (loaded days after they happened) land in later batches, and rows
    whose loaded_at does not parse come with the last batch.
    """
    with contextlib.closing(duckdb.connect(str(db_path))) as con:
        con.execute("create table raw.activities_pending as select * from raw.activities")
        con.execute("delete from raw.activities")
        cut_offs = []
        for fraction in cut_points:
            (cut_off,) = con.execute(
                "select quantile_disc(try_cast(loaded_at as timestamp), ?) "
                "from raw.activities_pending",
                [fraction],
            ).fetchone()
            cut_offs.append(str(cut_off))
    return cut_offs


def release_batch(db_path: Path, cut_off: str | None) -> int:
    """Move pending events loaded up to cut_off (all of them for None) into raw.activities."""
    condition = "true" if cut_off is None else "try_cast(loaded_at as timestamp) <= ?"
    parameters = [] if cut_off is None else [cut_off]
    with contextlib.closing(duckdb.connect(str(db_path))) as con:
        (moved,) = con.execute(
            f"select count(*) from raw.activities_pending where {condition}", parameters
        ).fetchone()
        con.execute(
            f"insert into raw.activities select * from raw.activities_pending where {condition}",
            parameters,
        )
        con.execute(f"delete from raw.activities_pending where {condition}", parameters)
    return moved


def execute(db_path: Path, sql: str, parameters: list | None = None) -> None:
    with contextlib.closing(duckdb.connect(str(db_path))) as con:
        con.execute(sql, parameters or [])
