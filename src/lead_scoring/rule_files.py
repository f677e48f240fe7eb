"""Check rule tables (CSV files) against the column types dbt loads them with.

dbt's seed loader stops at the first value DuckDB cannot convert and prints the CSV
reader's whole configuration around it. Checking the files first gives one line per bad
value, naming the file, the line and the column, before a build starts. The checks use
DuckDB's own casts, so a value passes here exactly when the seed loader accepts it.

Whole-number columns are stricter than DuckDB: it rounds 2.5 to 3 when loading an
integer column, so a rule would score other points than its table shows.
"""

from __future__ import annotations

import contextlib
import csv
import math
from pathlib import Path

import duckdb
import yaml

from lead_scoring import paths

_WHOLE_NUMBER_TYPES = {"integer", "int", "bigint", "smallint"}
_DESCRIBED_TYPES = {
    "boolean": "true or false",
    "double": "a number",
    "date": "a date (YYYY-MM-DD)",
}


def declared_columns(project_dir: Path | None = None) -> dict[str, dict[str, str]]:
    """Return each seed's declared columns and types from dbt_project.yml."""
    project_file = (project_dir or paths.project_dir()) / "dbt_project.yml"
    config = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    seeds = config.get("seeds", {}).get("lead_scoring", {})
    return {
        name: {column: kind.lower() for column, kind in settings["+column_types"].items()}
        for name, settings in seeds.items()
        if isinstance(settings, dict) and "+column_types" in settings
    }


def problems(rules_dir: Path, file_names: tuple[str, ...]) -> list[str]:
    """Return one line per problem found in the named rule tables of rules_dir."""
    declared = declared_columns()
    found: list[str] = []
    with contextlib.closing(duckdb.connect()) as con:
        for file_name in file_names:
            columns = declared.get(Path(file_name).stem)
            if columns is not None:
                found += _file_problems(con, rules_dir / file_name, columns)
    return found


def _file_problems(
    con: duckdb.DuckDBPyConnection, path: Path, columns: dict[str, str]
) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            lines = [(reader.line_num, row) for row in reader if row]
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        return [
            f"{path.name} line {line}: byte 0x{error.object[error.start]:02x} is not UTF-8 "
            "text; save the file as CSV UTF-8"
        ]
    rows = [(line, row) for line, row in lines if any(cell.strip() for cell in row)]
    if not rows:
        return [f"{path.name}: the file is empty; it needs at least its header row"]
    # DuckDB loads a row of commas alone (a spreadsheet's trailing row) as a rule whose
    # values are all null, so it is reported here, by line, rather than as a blank rule.
    found = [
        f"{path.name} line {line}: the row has only empty values; delete it"
        for line, row in lines
        if len(row) > 1 and not any(cell.strip() for cell in row)
    ]
    _, header = rows[0]
    header = [name.strip() for name in header]
    found += [f"{path.name}: column {name} is missing" for name in columns if name not in header]
    found += [
        f"{path.name}: column {name!r} is not a column of this table "
        f"(its columns: {', '.join(columns)})"
        for name in header
        if name not in columns
    ]
    for line, row in rows[1:]:
        if len(row) != len(header):
            found.append(
                f"{path.name} line {line}: {len(row)} values, but the header has {len(header)}"
            )
    if found:
        return found

    for position, name in enumerate(header):
        kind = columns[name]
        if kind == "varchar":
            continue
        cells = [(line, row[position]) for line, row in rows[1:] if row[position].strip()]
        for line, value in _bad_values(con, kind, cells):
            complaint = _complaint(con, kind, value)
            found.append(f"{path.name} line {line}: {name} {value!r} {complaint}")
    return found


def _complaint(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> str:
    if kind not in _WHOLE_NUMBER_TYPES:
        return f"is not {_DESCRIBED_TYPES.get(kind, f'of type {kind}')}"
    (number,) = con.execute("select try_cast(?::varchar as double)", [value]).fetchone()
    if number is not None and math.isfinite(number) and number == int(number):
        return f"is out of range for its type ({kind})"
    return "is not a whole number"


def _bad_values(
    con: duckdb.DuckDBPyConnection, kind: str, cells: list[tuple[int, str]]
) -> list[tuple[int, str]]:
    if kind in _WHOLE_NUMBER_TYPES:
        # The cast to double accepts what DuckDB's integer cast accepts (" 5", "1e3"),
        # and the comparison rejects the fractions that cast would round.
        check = (
            f"try_cast(value as {kind}) is not null "
            "and try_cast(value as double) = floor(try_cast(value as double))"
        )
    else:
        check = f"try_cast(value as {kind}) is not null"
    # Rule tables are small and their typed columns repeat a few values.
    verdicts: dict[str, bool] = {}
    for _, value in cells:
        if value not in verdicts:
            (verdicts[value],) = con.execute(
                f"select {check} from (select ?::varchar as value)", [value]
            ).fetchone()
    return [(line, value) for line, value in cells if not verdicts[value]]
