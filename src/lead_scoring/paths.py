"""Locations of the dbt project and the warehouse file."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("warehouse") / "lead_scoring.duckdb"


def project_dir() -> Path:
    """Return the dbt project folder: LEAD_SCORING_PROJECT_DIR, else the source checkout."""
    override = os.environ.get("LEAD_SCORING_PROJECT_DIR")
    if override:
        return Path(override).resolve()
    # src/lead_scoring/paths.py sits two levels below the repository root.
    return Path(__file__).resolve().parents[2]


def default_rules_dir() -> Path:
    """Return the folder of the default rule set shipped as dbt seeds."""
    return project_dir() / "seeds" / "rules"


def resolve_db(db: str | os.PathLike[str] | None = None) -> Path:
    """Return the warehouse file: the argument, else LEAD_SCORING_DB, else the default."""
    chosen = db or os.environ.get("LEAD_SCORING_DB") or DEFAULT_DB
    return Path(chosen).expanduser().resolve()
