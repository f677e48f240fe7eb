"""Locations of the dbt project and the warehouse file."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("warehouse") / "lead_scoring.duckdb"
# DuckDB names the database after the file, so a file named like one of these schemas (or
# DuckDB's own catalogs) makes every "schema.table" reference ambiguous.
RESERVED_DB_NAMES = frozenset(
    {"raw", "staging", "intermediate", "marts", "rules", "meta", "rule_test_failures"}
    | {"main", "system", "temp", "memory"}
)


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
    path = Path(chosen).expanduser().resolve()
    if path.stem.lower() in RESERVED_DB_NAMES:
        raise ValueError(
            f"warehouse file {path.name} is named like the schema or catalog {path.stem}, "
            "and DuckDB names the database after the file; choose another name, "
            "such as lead_scoring.duckdb"
        )
    return path
