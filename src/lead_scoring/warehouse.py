"""The raw source tables of the data contract and helpers to create and fill them.

Every raw column is text: the landing zone accepts whatever a feed sends, and the staging
models decide what is valid, so a malformed value becomes a quarantine row instead of a failed
load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

RAW_SCHEMA = "raw"

RAW_TABLES: dict[str, tuple[str, ...]] = {
    "leads": (
        "lead_id",
        "email",
        "account_id",
        "owner_email",
        "job_title",
        "department",
        "country",
        "industry",
        "company_size",
        "annual_revenue",
        "lead_source",
        "created_at",
        "updated_at",
    ),
    "lead_attributes": ("lead_id", "attribute", "value"),
    "accounts": (
        "account_id",
        "name",
        "domain",
        "industry",
        "employee_count",
        "annual_revenue",
        "country",
    ),
    "activities": (
        "event_id",
        "lead_id",
        "visitor_id",
        "activity_type",
        "occurred_at",
        "loaded_at",
        "url",
        "asset",
        "duration_seconds",
        "user_agent",
        "properties",
    ),
    "conversions": ("lead_id", "converted_at", "conversion_type", "amount"),
    # Rows an importer could not turn into a source row, kept with the file, line and reason.
    "load_rejects": ("source_file", "line_number", "target_table", "reason", "raw_line"),
}


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, creating its folder when needed."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(db_path))


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and every source table that does not exist yet."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table, columns in RAW_TABLES.items():
        column_list = ", ".join(f'"{name}" varchar' for name in columns)
        con.execute(f"create table if not exists {RAW_SCHEMA}.{table} ({column_list})")


def truncate_raw_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    """Delete every row of the named raw tables."""
    for table in tables:
        _check_table(table)
        con.execute(f"delete from {RAW_SCHEMA}.{table}")


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[object]]
) -> int:
    """Append rows (in contract column order, values as text or None) to a raw table."""
    _check_table(table)
    if not rows:
        return 0
    columns = RAW_TABLES[table]
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f"insert into {RAW_SCHEMA}.{table} values ({placeholders})",
        [[None if value is None else str(value) for value in row] for row in rows],
    )
    return len(rows)


def _check_table(table: str) -> None:
    if table not in RAW_TABLES:
        known = ", ".join(sorted(RAW_TABLES))
        raise ValueError(f"unknown raw table {table!r}; expected one of: {known}")
