"""Set up the dbt project inside a Lambda container.

The packaged project under /var/task is read-only, and dbt reuses a saved parse only when
the project files, the environment variables dbt_project.yml reads and the warehouse path of
the profile are unchanged. The package is parsed at build time at the fixed path under /tmp
that a cold start copies the project to, with the warehouse path a scoring run uses, so the
first run can skip parsing every model.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from lead_scoring import paths

logger = logging.getLogger(__name__)

# Shared with the packaging script, which parses the project at exactly these paths.
WORK_DIR = Path("/tmp/lead_scoring")  # noqa: S108
RUNTIME_PROJECT_DIR = WORK_DIR / "project"
RUNTIME_DB_PATH = WORK_DIR / "warehouse" / "lead_scoring.duckdb"
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_DIRS = ("models", "macros", "seeds", "tests/sql", "target")


def copy_project(source: Path, destination: Path) -> None:
    """Copy the parts of the dbt project that dbt reads, and any saved parse state."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(source / name, destination / name)
    for name in PROJECT_DIRS:
        if (source / name).is_dir():
            shutil.copytree(source / name, destination / name, dirs_exist_ok=True)


def prepare_project(runtime_dir: Path = RUNTIME_PROJECT_DIR) -> Path:
    """Point LEAD_SCORING_PROJECT_DIR at a writable copy of the project when it is read-only.

    A writable project (a source checkout) is used in place. The copy is made once per
    container; a warm container keeps it, together with the parse state dbt saves after
    each run.
    """
    packaged = paths.project_dir()
    if packaged == runtime_dir.resolve() or os.access(packaged, os.W_OK):
        return packaged
    if not (runtime_dir / "dbt_project.yml").is_file():
        copy_project(packaged, runtime_dir)
        logger.info(
            "dbt project copied", extra={"source": str(packaged), "destination": str(runtime_dir)}
        )
    os.environ["LEAD_SCORING_PROJECT_DIR"] = str(runtime_dir)
    return runtime_dir
