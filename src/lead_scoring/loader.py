"""Load CSV exports into the raw source tables through a mapping file.

Rows that cannot become a lead (wrong number of fields, no lead id, a lead id seen before)
go to raw.load_rejects with the file, the physical line number and the reason. They are also
counted in the result, so no row is dropped silently.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import logging
import math
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import duckdb

from lead_scoring import bulk, warehouse
from lead_scoring.mapping import Mapping

log = logging.getLogger(__name__)

# Tables a load fills; without --append their previous rows are deleted first.
LOADED_TABLES = ("leads", "lead_attributes", "conversions", "load_rejects")


class LoadError(ValueError):
    """A CSV file cannot be loaded at all (missing, unreadable, or lacking mapped columns)."""


@dataclass(frozen=True)
class Reject:
    source_file: str
    line_number: int
    reason: str
    raw_line: str


@dataclass
class LoadResult:
    files: int = 0
    leads: int = 0
    attributes: int = 0
    conversions: int = 0
    rejects: list[Reject] = field(default_factory=list)
    # Cells of number columns that were not numbers and were stored as missing.
    invalid_numbers: int = 0


@dataclass(frozen=True)
class Record:
    """One CSV record with the physical line it starts on (1 is the header)."""

    line_number: int
    fields: list[str]
    raw_text: str


class _LineRecorder:
    """Iterator over a file's lines that keeps the lines of the record being parsed."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle
        self.lines: list[str] = []

    def __iter__(self) -> _LineRecorder:
        return self

    def __next__(self) -> str:
        line = next(self._handle)
        self.lines.append(line)
        return line

    def take(self) -> str:
        text = "".join(self.lines).rstrip("\r\n")
        self.lines.clear()
        return text


def read_records(handle: TextIO) -> Iterator[Record]:
    """Yield the CSV records of a file opened with newline='', skipping blank lines.

    A quoted field can span lines, so a record's line number is the line it starts on.
    """
    recorder = _LineRecorder(handle)
    reader = csv.reader(recorder)
    lines_read = 0
    for fields in reader:
        start = lines_read + 1
        lines_read = reader.line_num
        raw_text = recorder.take()
        if not fields:
            continue
        yield Record(start, fields, raw_text)


class _Sinks:
    """Temporary CSV files that collect the rows of each table until the load commits."""

    def __init__(self, folder: Path) -> None:
        self._handles = {}
        self.writers = {}
        self.paths = {}
        for table in LOADED_TABLES:
            path = folder / f"{table}.csv"
            handle = path.open("w", newline="", encoding="utf-8")
            writer = csv.writer(handle)
            writer.writerow(warehouse.RAW_TABLES[table])
            self._handles[table] = handle
            self.writers[table] = writer
            self.paths[table] = path

    def write(self, table: str, row: Sequence[object]) -> None:
        self.writers[table].writerow(["" if value is None else value for value in row])

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()


class _FileLoader:
    """Turn the records of one CSV file into rows of the raw tables."""

    def __init__(
        self, mapping: Mapping, path: Path, sinks: _Sinks, seen: dict[str, str], result: LoadResult
    ) -> None:
        self.mapping = mapping
        self.path = path
        self.sinks = sinks
        self.seen = seen
        self.result = result

    def check_header(self) -> None:
        """Read the header only, so that a mapping naming a missing column fails fast."""
        self._read(load_rows=False)

    def load(self) -> None:
        self._read(load_rows=True)
        self.result.files += 1

    def _read(self, load_rows: bool) -> None:
        try:
            with self.path.open(newline="", encoding="utf-8-sig") as handle:
                records = read_records(handle)
                header = next(records, None)
                if header is None:
                    raise LoadError(f"{self.path} is empty; expected a header row")
                self._positions = self._header_positions(header.fields)
                if not load_rows:
                    return
                log.info("reading %s", self.path)
                for record in records:
                    self._load_record(record)
        except UnicodeDecodeError as error:
            raise LoadError(
                f"{self.path} is not UTF-8 text ({error.reason} at byte {error.start}); "
                "export it as UTF-8 and load it again"
            ) from error
        except csv.Error as error:
            raise LoadError(f"{self.path}: invalid CSV: {error}") from error

    def _header_positions(self, header: list[str]) -> dict[str, int]:
        names = [name.strip() for name in header]
        # Exports that end every line with a comma have empty trailing header cells; rows may
        # carry those empty cells or leave them out.
        self._width = len(names)
        while names and not names[-1]:
            names.pop()
        self._min_width = len(names)
        positions: dict[str, int] = {}
        for position, name in enumerate(names):
            positions.setdefault(name, position)
        for column in self.mapping.columns():
            if column not in positions:
                raise LoadError(self._missing_column_message(column, names))
            if names.count(column) > 1:
                raise LoadError(f"{self.path}: column {column!r} appears more than once")
        return positions

    def _missing_column_message(self, column: str, names: list[str]) -> str:
        message = f"mapping {self.mapping.source} names column {column!r}, which {self.path} lacks"
        close = difflib.get_close_matches(column, names, n=1)
        return f"{message}; did you mean {close[0]!r}?" if close else message

    def _reject(self, record: Record, reason: str) -> None:
        reject = Reject(str(self.path), record.line_number, reason, record.raw_text)
        self.result.rejects.append(reject)
        self.sinks.write(
            "load_rejects",
            (reject.source_file, reject.line_number, "leads", reject.reason, reject.raw_line),
        )

    def _load_record(self, record: Record) -> None:
        if not self._min_width <= len(record.fields) <= self._width:
            expected = (
                str(self._width)
                if self._min_width == self._width
                else f"{self._min_width} to {self._width}"
            )
            self._reject(record, f"expected {expected} fields, found {len(record.fields)}")
            return
        lead_id = self._value(record, self.mapping.lead_id, convert=False)
        if lead_id is None:
            self._reject(record, f"missing lead id (column {self.mapping.lead_id!r})")
            return
        if lead_id in self.seen:
            self._reject(
                record, f"duplicate lead id {lead_id!r}, first seen at {self.seen[lead_id]}"
            )
            return
        self.seen[lead_id] = f"{self.path.name} line {record.line_number}"
        self._write_lead(record, lead_id)
        self._write_attributes(record, lead_id)
        self._write_conversion(record, lead_id)

    def _write_lead(self, record: Record, lead_id: str) -> None:
        values = {"lead_id": lead_id, **self.mapping.constants}
        for name, column in self.mapping.leads.items():
            values[name] = self._value(record, column)
        self.sinks.write("leads", [values.get(name) for name in warehouse.RAW_TABLES["leads"]])
        self.result.leads += 1

    def _write_attributes(self, record: Record, lead_id: str) -> None:
        for name, column in self.mapping.attributes.items():
            value = self._value(record, column)
            # A missing value gets no row: rules treat an absent attribute as missing.
            if value is not None:
                self.sinks.write("lead_attributes", (lead_id, name, value))
                self.result.attributes += 1

    def _write_conversion(self, record: Record, lead_id: str) -> None:
        conversion = self.mapping.conversion
        if conversion is None:
            return
        flag = self._raw(record, conversion.column)
        if flag is None or flag.lower() not in conversion.values:
            return
        converted_at = self._optional(record, conversion.converted_at)
        amount = self._optional(record, conversion.amount)
        self.sinks.write("conversions", (lead_id, converted_at, conversion.conversion_type, amount))
        self.result.conversions += 1

    def _optional(self, record: Record, column: str | None) -> str | None:
        return None if column is None else self._value(record, column)

    def _raw(self, record: Record, column: str) -> str | None:
        """Return the trimmed cell, or None when it is absent or a missing-value marker."""
        position = self._positions[column]
        if position >= len(record.fields):
            return None
        value = record.fields[position].strip()
        return None if value.lower() in self.mapping.missing_values else value

    def _value(self, record: Record, column: str, convert: bool = True) -> str | None:
        value = self._raw(record, column)
        if value is None or not convert:
            return value
        if column in self.mapping.numbers:
            return self._number(value, record, column)
        return self.mapping.booleans.get(value.lower(), value)

    def _number(self, value: str, record: Record, column: str) -> str | None:
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            self.result.invalid_numbers += 1
            log.warning(
                "%s line %d: column %r contains %r, which is not a number; stored as missing",
                self.path.name,
                record.line_number,
                column,
                value,
            )
            return None
        return str(int(number)) if number.is_integer() else repr(number)


def load_csv_files(
    db_path: Path, mapping: Mapping, csv_paths: Sequence[Path], append: bool = False
) -> LoadResult:
    """Load CSV files into raw.leads, raw.lead_attributes and raw.conversions.

    Without append, the previous rows of those tables and of raw.load_rejects are replaced,
    in one transaction with the new rows. A LoadError leaves the warehouse unchanged.
    """
    for path in csv_paths:
        if not path.is_file():
            raise LoadError(f"CSV file not found: {path}")
    result = LoadResult()
    seen: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="lead_scoring_load_") as folder:
        sinks = _Sinks(Path(folder))
        loaders = [_FileLoader(mapping, path, sinks, seen, result) for path in csv_paths]
        try:
            for loader in loaders:
                loader.check_header()
            for loader in loaders:
                loader.load()
        finally:
            sinks.close()
        _write_warehouse(db_path, sinks, append)
    return result


def _write_warehouse(db_path: Path, sinks: _Sinks, append: bool) -> None:
    with contextlib.closing(warehouse.connect(db_path)) as con:
        warehouse.create_raw_tables(con)
        con.execute("begin transaction")
        try:
            if not append:
                warehouse.truncate_raw_tables(con, LOADED_TABLES)
            for table in LOADED_TABLES:
                _insert_file(con, table, sinks.paths[table])
            con.execute("commit")
        except duckdb.Error:
            con.execute("rollback")
            raise


def _insert_file(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    columns = warehouse.RAW_TABLES[table]
    column_list = ", ".join(f'"{name}"' for name in columns)
    source = bulk.read_csv_sql(path, columns)
    con.execute(
        f"insert into {warehouse.RAW_SCHEMA}.{table} ({column_list}) "
        f"select {column_list} from {source}"
    )
