"""Publish the marts as Parquet objects in S3 for BI tools and Athena."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

logger = logging.getLogger(__name__)

DEFAULT_MARTS_SCHEMA = "marts"
DEFAULT_MARTS_PREFIX = "marts"


@dataclass(frozen=True)
class PublishedTable:
    table: str
    key: str
    rows: int


def mart_tables(con: duckdb.DuckDBPyConnection, schema: str = DEFAULT_MARTS_SCHEMA) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def publish_marts(
    con: duckdb.DuckDBPyConnection,
    bucket: str,
    prefix: str = DEFAULT_MARTS_PREFIX,
    schema: str = DEFAULT_MARTS_SCHEMA,
) -> list[PublishedTable]:
    """Write each mart to ``<prefix>/<table>/data.parquet`` through the connection's S3 secret.

    One object per table is replaced by a single upload, so a reader sees the old or the new
    table, never half of one. Athena needs a folder per table, hence the fixed file name.
    """
    published = []
    for table in mart_tables(con, schema):
        key = f"{prefix}/{table}/data.parquet"
        rows = con.execute(f'select count(*) from {schema}."{table}"').fetchone()
        con.execute(
            f"copy (select * from {schema}.\"{table}\") to 's3://{bucket}/{key}' "
            "(format parquet, compression zstd)"
        )
        published.append(PublishedTable(table, key, int(rows[0]) if rows else 0))
    logger.info(
        "marts published",
        extra={"tables": [item.table for item in published], "prefix": f"s3://{bucket}/{prefix}/"},
    )
    return published
