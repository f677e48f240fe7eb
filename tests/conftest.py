"""Fixtures shared by the generator, loader and command-line tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from lead_scoring.generate import GeneratorConfig, generate

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE_DATE = date(2025, 6, 1)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def small_config() -> GeneratorConfig:
    return GeneratorConfig(leads=400, events=12_000, seed=7, reference_date=REFERENCE_DATE)


@pytest.fixture(scope="session")
def generated_db(tmp_path_factory: pytest.TempPathFactory, small_config: GeneratorConfig) -> Path:
    """A warehouse file filled once by the generator; tests must only read it."""
    db_path = tmp_path_factory.mktemp("generated") / "sample.duckdb"
    generate(db_path, small_config)
    return db_path


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(tmp_path: Path) -> CliRunner:
    """Run the command line in a child process, as a user would, from a scratch folder."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "DO_NOT_TRACK": "1"}
        environment.pop("LEAD_SCORING_DB", None)
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "lead_scoring.cli", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment,
            timeout=300,
            check=False,
        )

    return run
