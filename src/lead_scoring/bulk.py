"""Bulk writes into DuckDB through temporary CSV files.

DuckDB's executemany runs one statement per row, which is far too slow for the hundreds of
thousands of rows a load or a sample data set writes. Inserting from read_csv over a CSV
file is a single vectorised statement.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write rows to a CSV file with a header and return the number of rows written.

    None becomes an empty cell, which read_csv_sql reads back as NULL.
    """
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count


def insert_csv(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> int:
    """Insert rows into a table through a temporary CSV file; return the row count."""
    with tempfile.TemporaryDirectory(prefix="lead_scoring_") as folder:
        path = Path(folder) / "rows.csv"
        count = write_csv(path, columns, rows)
        if count == 0:
            return 0
        column_list = ", ".join(f'"{name}"' for name in columns)
        source = read_csv_sql(path, columns)
        con.execute(f"insert into {table} ({column_list}) select {column_list} from {source}")
    return count


def read_csv_sql(path: Path, columns: Sequence[str]) -> str:
    """Return a read_csv table expression that reads the named columns as text."""
    # With auto_detect off, a column of digits stays text and the header is never guessed, so
    # the column list has to be given explicitly.
    quoted = str(path).replace("'", "''")
    types = ", ".join(f"'{name}': 'VARCHAR'" for name in columns)
    return f"read_csv('{quoted}', header = true, auto_detect = false, columns = {{{types}}})"
