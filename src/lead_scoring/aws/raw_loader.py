"""Load new raw objects from S3 into the warehouse's raw tables, each object once.

Each raw table has a prefix ``raw/<table>/`` holding newline-delimited JSON or CSV objects,
optionally gzip-compressed. DuckDB reads them over S3 through httpfs; the keys already loaded
are stored in ``meta.loaded_objects`` inside the warehouse file, so the record of what was
loaded is saved and restored together with the data itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from lead_scoring import warehouse

logger = logging.getLogger(__name__)

META_SCHEMA = "meta"
LOADED_OBJECTS = f"{META_SCHEMA}.loaded_objects"
JSON_SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
CSV_SUFFIXES = (".csv", ".csv.gz")
# Objects per read: DuckDB opens them in parallel, and a bounded list keeps memory flat on a
# large backlog.
CHUNK_SIZE = 200
# The text form ingest writes too, so every raw loaded_at parses the same way.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
LOADABLE_TABLES = tuple(name for name in warehouse.RAW_TABLES if name != "load_rejects")


@dataclass(frozen=True)
class RawObject:
    key: str
    table: str
    etag: str
    size: int


@dataclass
class LoadReport:
    objects: list[RawObject] = field(default_factory=list)
    rows_by_table: dict[str, int] = field(default_factory=dict)
    skipped_keys: list[str] = field(default_factory=list)

    @property
    def activity_rows(self) -> int:
        return self.rows_by_table.get("activities", 0)


def ensure_loaded_objects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {META_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {LOADED_OBJECTS} (
            object_key varchar primary key,
            raw_table varchar not null,
            etag varchar,
            size_bytes bigint,
            row_count bigint,
            loaded_at timestamp not null,
            run_id varchar
        )
        """
    )


def list_raw_objects(s3_client: Any, bucket: str, table: str) -> Iterator[RawObject]:
    paginator = s3_client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"raw/{table}/"):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            yield RawObject(key, table, item["ETag"].strip('"'), int(item["Size"]))


def find_new_objects(
    con: duckdb.DuckDBPyConnection, s3_client: Any, bucket: str
) -> tuple[list[RawObject], list[str]]:
    """Return the raw objects not loaded yet, and the keys skipped for an unknown format."""
    ensure_loaded_objects(con)
    loaded = {key for (key,) in con.execute(f"select object_key from {LOADED_OBJECTS}").fetchall()}
    new_objects: list[RawObject] = []
    skipped: list[str] = []
    # NOTE: every run lists the whole raw prefix, because late events land in old date
    # partitions. Listing costs one request per 1,000 objects; compact old partitions when
    # that grows.
    for table in LOADABLE_TABLES:
        for item in list_raw_objects(s3_client, bucket, table):
            if item.key in loaded:
                continue
            if not item.key.endswith(JSON_SUFFIXES + CSV_SUFFIXES):
                skipped.append(item.key)
                continue
            new_objects.append(item)
    return new_objects, skipped


def load_new_objects(
    con: duckdb.DuckDBPyConnection,
    s3_client: Any,
    bucket: str,
    run_id: str,
    loaded_at: datetime | None = None,
) -> LoadReport:
    """Insert every new raw object's rows into its raw table and record the object as loaded.

    The connection must have S3 access (see duckdb_s3.enable_s3). Activities get ``loaded_at``
    set to this load's time: the incremental models select new activity by loaded_at, and a
    time stamped earlier at ingest could fall behind a previous run that listed the bucket
    before a slow upload finished.
    """
    warehouse.create_raw_tables(con)
    new_objects, skipped = find_new_objects(con, s3_client, bucket)
    report = LoadReport(skipped_keys=skipped)
    if skipped:
        logger.warning("raw objects skipped: unknown format", extra={"object_keys": skipped})
    stamp = (loaded_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    for table in LOADABLE_TABLES:
        objects = [item for item in new_objects if item.table == table]
        for start in range(0, len(objects), CHUNK_SIZE):
            chunk = objects[start : start + CHUNK_SIZE]
            rows = _load_chunk(con, bucket, table, chunk, run_id, stamp)
            report.rows_by_table[table] = report.rows_by_table.get(table, 0) + rows
            report.objects.extend(chunk)
    if report.objects:
        logger.info(
            "raw objects loaded",
            extra={"objects": len(report.objects), "rows_by_table": report.rows_by_table},
        )
    return report


def _load_chunk(
    con: duckdb.DuckDBPyConnection,
    bucket: str,
    table: str,
    chunk: Sequence[RawObject],
    run_id: str,
    stamp: datetime,
) -> int:
    columns = warehouse.RAW_TABLES[table]
    json_urls = [f"s3://{bucket}/{item.key}" for item in chunk if item.key.endswith(JSON_SUFFIXES)]
    csv_urls = [f"s3://{bucket}/{item.key}" for item in chunk if item.key.endswith(CSV_SUFFIXES)]
    con.execute("begin transaction")
    try:
        con.execute(
            "create or replace temporary table staged_raw as select "
            + ", ".join(f'null::varchar as "{name}"' for name in columns)
            + ", null::varchar as filename where false"
        )
        nonempty = [item for item in chunk if item.size > 0]
        nonempty_keys = {f"s3://{bucket}/{item.key}" for item in nonempty}
        if json_urls := [url for url in json_urls if url in nonempty_keys]:
            con.execute(_json_select(columns, json_urls))
        if csv_urls := [url for url in csv_urls if url in nonempty_keys]:
            _insert_csv(con, columns, csv_urls)
        if table == "activities":
            con.execute("update staged_raw set loaded_at = ?", [stamp.strftime(TIMESTAMP_FORMAT)])
        column_list = ", ".join(f'"{name}"' for name in columns)
        con.execute(
            f"insert into {warehouse.RAW_SCHEMA}.{table} ({column_list}) "
            f"select {column_list} from staged_raw"
        )
        counts = dict(
            con.execute("select filename, count(*) from staged_raw group by 1").fetchall()
        )
        con.executemany(
            f"insert into {LOADED_OBJECTS} values (?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    item.key,
                    table,
                    item.etag,
                    item.size,
                    counts.get(f"s3://{bucket}/{item.key}", 0),
                    stamp,
                    run_id,
                ]
                for item in chunk
            ],
        )
        con.execute("drop table staged_raw")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return sum(counts.values())


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def _json_select(columns: Sequence[str], urls: Sequence[str]) -> str:
    column_types = ", ".join(f"'{name}': 'varchar'" for name in columns)
    return (
        "insert into staged_raw select * from read_json("
        f"{_sql_list(urls)}, format = 'newline_delimited', columns = {{{column_types}}}, "
        "filename = true, hive_partitioning = false)"
    )


def _insert_csv(
    con: duckdb.DuckDBPyConnection, columns: Sequence[str], urls: Sequence[str]
) -> None:
    source = (
        f"read_csv({_sql_list(urls)}, header = true, all_varchar = true, "
        "union_by_name = true, filename = true, hive_partitioning = false)"
    )
    present = {row[0] for row in con.execute(f"describe select * from {source}").fetchall()}
    # A CSV may omit optional contract columns; they load as null rather than failing.
    projection = ", ".join(
        f'"{name}"' if name in present else f'null::varchar as "{name}"' for name in columns
    )
    con.execute(f"insert into staged_raw select {projection}, filename from {source}")
