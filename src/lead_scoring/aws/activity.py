"""The activity event contract as accepted at ingest, and its raw-table row form."""

from __future__ import annotations

import csv
import functools
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lead_scoring import paths

ACTIVITY_TYPES_FILE = Path("seeds") / "reference" / "activity_types.csv"
DEFAULT_CLOCK_SKEW_SECONDS = 300
MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 4096


@functools.cache
def known_activity_types(project_dir: Path | None = None) -> frozenset[str]:
    """Read the activity type vocabulary from the reference seed of the dbt project.

    Cached for the life of the process, so a Lambda container reads the file once at cold start.
    """
    path = (project_dir or paths.project_dir()) / ACTIVITY_TYPES_FILE
    with path.open(newline="", encoding="utf-8") as handle:
        types = {
            row["activity_type"].strip().lower()
            for row in csv.DictReader(handle)
            if row.get("activity_type", "").strip()
        }
    if not types:
        raise ValueError(f"no activity types found in {path}")
    return frozenset(types)


def clock_skew() -> timedelta:
    """Return how far in the future an occurred_at may be, from CLOCK_SKEW_SECONDS."""
    return timedelta(seconds=int(os.environ.get("CLOCK_SKEW_SECONDS", DEFAULT_CLOCK_SKEW_SECONDS)))


def format_timestamp(value: datetime) -> str:
    """Format a UTC timestamp as ISO 8601 with microseconds and a Z suffix."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ActivityEvent(BaseModel):
    """One activity event of the data contract, validated at the edge of the warehouse."""

    # Unknown fields are ignored rather than rejected, so a sender that adds a field does not
    # lose every event it sends.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    lead_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    visitor_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    activity_type: str = Field(min_length=1, max_length=64)
    occurred_at: datetime
    url: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    asset: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    duration_seconds: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    user_agent: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    properties: dict[str, Any] | None = None

    @field_validator("lead_id", "visitor_id", "url", "asset", "user_agent", mode="after")
    @classmethod
    def empty_text_is_missing(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("activity_type", mode="after")
    @classmethod
    def activity_type_is_known(cls, value: str) -> str:
        activity_type = value.lower()
        if activity_type not in known_activity_types():
            raise ValueError(f"unknown activity_type {value!r}")
        return activity_type

    @field_validator("occurred_at", mode="before")
    @classmethod
    def occurred_at_is_iso_text(cls, value: object) -> object:
        # Pydantic would read a number as Unix seconds; the contract asks for ISO 8601 text,
        # and a number here is more likely a unit mistake (milliseconds) than a timestamp.
        if not isinstance(value, str):
            raise ValueError("occurred_at must be an ISO 8601 timestamp string")
        return value

    @field_validator("occurred_at", mode="after")
    @classmethod
    def occurred_at_is_not_future(cls, value: datetime) -> datetime:
        # A timestamp without an offset is read as UTC, as the contract defines occurred_at.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        aware = aware.astimezone(UTC)
        latest = datetime.now(UTC) + clock_skew()
        if aware > latest:
            raise ValueError(
                f"occurred_at {format_timestamp(aware)} is in the future "
                f"(allowed clock skew {int(clock_skew().total_seconds())} s)"
            )
        return aware

    @field_validator("duration_seconds", mode="before")
    @classmethod
    def duration_is_a_number(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("duration_seconds must be a number, not a boolean")
        return value

    @model_validator(mode="after")
    def lead_or_visitor_present(self) -> ActivityEvent:
        if self.lead_id is None and self.visitor_id is None:
            raise ValueError("lead_id or visitor_id is required")
        return self

    def to_raw_row(self, loaded_at: datetime) -> dict[str, str | None]:
        """Return the event as a raw.activities row: every column text, as the raw layer stores."""
        duration = None
        if self.duration_seconds is not None:
            duration = (
                str(int(self.duration_seconds))
                if self.duration_seconds.is_integer()
                else repr(self.duration_seconds)
            )
        properties = None
        if self.properties is not None:
            properties = json.dumps(self.properties, sort_keys=True, separators=(",", ":"))
        return {
            "event_id": self.event_id,
            "lead_id": self.lead_id,
            "visitor_id": self.visitor_id,
            "activity_type": self.activity_type,
            "occurred_at": format_timestamp(self.occurred_at),
            "loaded_at": format_timestamp(loaded_at),
            "url": self.url,
            "asset": self.asset,
            "duration_seconds": duration,
            "user_agent": self.user_agent,
            "properties": properties,
        }
