"""Queries and text formatting for run summaries and the scoring performance report.

Everything here reads the published marts (schema `marts`) and the raw tables; nothing
writes to the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from lead_scoring import warehouse

MARTS = "marts"
QUALIFICATION = f"{MARTS}.lead_qualification"
QUARANTINE = f"{MARTS}.quarantine"
PERFORMANCE = f"{MARTS}.scoring_performance"
AUC = f"{MARTS}.scoring_auc"
WITHHELD = f"{MARTS}.withheld_points"


class ReportError(RuntimeError):
    """The warehouse is missing or has no build results to report on."""


def open_warehouse(db_path: Path) -> duckdb.DuckDBPyConnection:
    """Open an existing warehouse file read-only."""
    if not db_path.is_file():
        raise ReportError(
            f"warehouse file not found: {db_path}; run `lead-scoring demo` or "
            "`lead-scoring build` first, or pass --db"
        )
    try:
        return duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as error:
        raise ReportError(f"cannot open warehouse {db_path}: {error}") from error


def require_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    """Raise ReportError naming the first schema.table that does not exist."""
    existing = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    for table in tables:
        if table not in existing:
            raise ReportError(f"the warehouse has no table {table}; run `lead-scoring build` first")


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def raw_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Return the row count of every raw table that exists."""
    existing = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [warehouse.RAW_SCHEMA],
        ).fetchall()
    }
    counts = {}
    for table in warehouse.RAW_TABLES:
        if table in existing:
            (count,) = con.execute(
                f"select count(*) from {warehouse.RAW_SCHEMA}.{table}"
            ).fetchone()
            counts[table] = int(count)
    return counts


def stage_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Return leads and conversions per qualification stage, in stage order."""
    return _rows(
        con,
        f"""
        select
            coalesce(stage, 'none') as stage,
            count(*) as leads,
            count(*) filter (where is_converted) as conversions
        from {QUALIFICATION}
        group by all
        order by min(stage_order) nulls last, stage
        """,
    )


def quarantine_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Return quarantined rows per source table and reason, largest first."""
    return _rows(
        con,
        f"""
        select source_table, reason, count(*) as rows
        from {QUARANTINE}
        group by all
        order by rows desc, source_table, reason
        """,
    )


def top_leads(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[dict[str, Any]]:
    """Return the highest-scoring leads with grade, stage and top reasons.

    E-mail addresses are left out so that the summary can be shared.
    """
    return _rows(
        con,
        f"""
        select lead_id, round(score, 1) as score, grade, stage, top_reasons
        from {QUALIFICATION}
        order by score desc nulls last, grade_step desc nulls last, lead_id
        limit {int(limit)}
        """,
    )


def withheld_points(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Return the points withheld per reason and detail, in report order.

    Events are counted for bot and first_time only. The other reasons apply to a lead's day
    or total rather than to events, so their events are None.
    """
    return _rows(
        con,
        f"""
        select
            reason,
            detail,
            events,
            cast(round(points, 2) as double) as points
        from {WITHHELD}
        order by reason_order, detail nulls first
        """,
    )


def performance(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Return conversion by grade and score band and the AUC of score and grade."""
    (leads, conversions) = con.execute(
        f"select count(*), count(*) filter (where is_converted) from {QUALIFICATION}"
    ).fetchone()
    auc = {
        measure: value
        for measure, value in con.execute(f"select measure, auc from {AUC}").fetchall()
    }
    buckets = _rows(
        con,
        f"""
        select dimension, bucket, leads, conversions, conversion_rate, lift,
            min_score, max_score
        from {PERFORMANCE}
        order by dimension, bucket_order desc
        """,
    )
    grades = [_bucket(row, "grade") for row in buckets if row["dimension"] == "grade"]
    bands = [_bucket(row, "band") for row in buckets if row["dimension"] == "score_band"]
    return {
        "leads": int(leads),
        "conversions": int(conversions),
        "conversion_rate": _ratio(conversions, leads),
        "auc_score": _round(auc.get("score")),
        "auc_grade": _round(auc.get("grade")),
        "grades": grades,
        "score_bands": bands,
    }


def _bucket(row: dict[str, Any], key: str) -> dict[str, Any]:
    bucket = {
        key: row["bucket"],
        "leads": int(row["leads"]),
        "conversions": int(row["conversions"]),
        "conversion_rate": _round(row["conversion_rate"]),
        "lift": _round(row["lift"]),
    }
    if key == "band":
        bucket["min_score"] = _round(row["min_score"])
        bucket["max_score"] = _round(row["max_score"])
    return bucket


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


# Text formatting --------------------------------------------------------------------------


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Format dictionaries as an aligned text table; numbers are right-aligned."""
    if not rows:
        return "  (none)"
    columns = list(columns or rows[0].keys())
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[index]) for line in cells))
        for index, column in enumerate(columns)
    ]
    numeric = [all(_is_number(row.get(column)) for row in rows) for column in columns]
    lines = [_line(columns, widths, [False] * len(columns))]
    lines.append(_line(["-" * width for width in widths], widths, [False] * len(columns)))
    lines += [_line(line, widths, numeric) for line in cells]
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    if isinstance(value, str):
        return value.endswith("%") or value == "-"
    return value is None or isinstance(value, int | float)


def _line(values: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    parts = [
        value.rjust(width) if align_right else value.ljust(width)
        for value, width, align_right in zip(values, widths, right, strict=True)
    ]
    return "  " + "  ".join(parts).rstrip()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return str(value)


def format_performance(result: dict[str, Any]) -> str:
    """Format the performance report as text sections."""
    rate = result["conversion_rate"]
    lines = [
        f"Leads: {result['leads']:,}   conversions: {result['conversions']:,}   "
        f"base rate: {_percent(rate)}",
        f"ROC AUC of score: {_plain(result['auc_score'])}   "
        f"ROC AUC of grade: {_plain(result['auc_grade'])}",
        "",
        "Conversion by grade:",
        format_table(_percent_rows(result["grades"]), _performance_columns("grade")),
        "",
        "Conversion by score band (highest band first):",
        format_table(
            _percent_rows(result["score_bands"]),
            ["band", "min_score", "max_score", *_performance_columns("")[1:]],
        ),
    ]
    return "\n".join(lines)


def format_withheld(rows: Sequence[dict[str, Any]]) -> str:
    """Format the points withheld per reason and detail as a titled table."""
    table = format_table(rows, ["reason", "detail", "events", "points"])
    return f"Points withheld:\n{table}"


def format_withheld_totals(rows: Sequence[dict[str, Any]]) -> str:
    """Format the points withheld per reason on one line, with events where counted.

    Positive and negative amounts of a reason are shown apart: a cap on a negative rule
    withholds negative points, and a net total would hide both.
    """
    gained: dict[str, float] = {}
    lost: dict[str, float] = {}
    events: dict[str, int] = {}
    for row in rows:
        reason = row["reason"]
        gained.setdefault(reason, 0.0)
        if row["points"] < 0:
            lost[reason] = lost.get(reason, 0.0) + row["points"]
        else:
            gained[reason] += row["points"]
        if row["events"] is not None:
            events[reason] = events.get(reason, 0) + row["events"]
    parts = []
    for reason, total in gained.items():
        part = f"{reason} {_cell(round(total, 2))}"
        if reason in lost:
            part += f" / {_cell(round(lost[reason], 2))}"
        if reason in events:
            part += f" ({events[reason]:,} events)"
        parts.append(part)
    return "Points withheld: " + (", ".join(parts) or "none")


def _performance_columns(key: str) -> list[str]:
    return [key, "leads", "conversions", "conversion_rate", "lift"]


def _percent_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "conversion_rate": _percent(row["conversion_rate"])} for row in rows]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _plain(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
