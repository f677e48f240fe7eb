"""Restore the warehouse file from S3 and save it back only over the version it started from."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

DEFAULT_STATE_KEY = "state/lead_scoring.duckdb"


class StaleWarehouseError(RuntimeError):
    """Another run saved the warehouse after this run restored it; this run's result is dropped."""


@dataclass(frozen=True)
class Snapshot:
    """The warehouse object a run started from: its ETag, or None when none existed yet."""

    etag: str | None
    size_bytes: int = 0


@dataclass
class WarehouseState:
    s3: Any
    bucket: str
    key: str = DEFAULT_STATE_KEY

    def restore(self, db_path: Path) -> Snapshot:
        """Download the warehouse file to ``db_path``; with none saved yet, start empty."""
        db_path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (db_path, db_path.with_name(db_path.name + ".wal")):
            leftover.unlink(missing_ok=True)
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                logger.info("no saved warehouse yet; starting empty", extra={"state_key": self.key})
                return Snapshot(etag=None)
            raise
        size = 0
        with db_path.open("wb") as handle:
            for chunk in response["Body"].iter_chunks(chunk_size=8 * 1024 * 1024):
                handle.write(chunk)
                size += len(chunk)
        etag = response["ETag"].strip('"')
        logger.info("warehouse restored", extra={"etag": etag, "size_bytes": size})
        return Snapshot(etag=etag, size_bytes=size)

    def save(self, db_path: Path, expected: Snapshot) -> Snapshot:
        """Upload the warehouse file if S3 still contains the snapshot this run started from.

        S3 conditional writes make the check and the write one step: If-Match on the restored
        ETag, or If-None-Match when no warehouse existed. A run whose lock expired and was taken
        over therefore cannot overwrite the newer run's result.
        """
        conditions = {"IfMatch": expected.etag} if expected.etag else {"IfNoneMatch": "*"}
        # NOTE: one PUT carries at most 5 GB; a larger warehouse needs a multipart upload with
        # the same condition on CompleteMultipartUpload.
        with db_path.open("rb") as body:
            try:
                response = self.s3.put_object(
                    Bucket=self.bucket,
                    Key=self.key,
                    Body=body,
                    ContentType="application/octet-stream",
                    **conditions,
                )
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                    raise StaleWarehouseError(
                        f"s3://{self.bucket}/{self.key} changed since this run restored ETag "
                        f"{expected.etag}; not overwriting the newer warehouse"
                    ) from exc
                raise
        etag = response["ETag"].strip('"')
        size = db_path.stat().st_size
        logger.info(
            "warehouse saved",
            extra={"etag": etag, "previous_etag": expected.etag, "size_bytes": size},
        )
        return Snapshot(etag=etag, size_bytes=size)
