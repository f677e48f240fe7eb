"""Fixtures that build real warehouses: generated raw data, real dbt builds, DuckDB files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from warehouse_helpers import AS_OF, SAMPLE, Build

from lead_scoring import dbt_runner
from lead_scoring.generate import generate


@pytest.fixture
def build() -> Build:
    """Run a real dbt build with the fixed scoring date unless a test passes its own vars."""

    def run(db_path: Path, expect_failure: bool = False, **options) -> dbt_runner.BuildResult:
        options.setdefault("dbt_vars", {"as_of_date": AS_OF})
        options.setdefault("quiet", True)
        result = dbt_runner.build(db_path, **options)
        failures = [(node.unique_id, node.message) for node in result.failures]
        assert result.success or expect_failure, failures
        return result

    return run


@pytest.fixture(scope="session")
def sample_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file with generated raw tables and nothing built yet."""
    db_path = tmp_path_factory.mktemp("sample_raw") / "sample.duckdb"
    generate(db_path, SAMPLE)
    return db_path


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory: pytest.TempPathFactory, sample_raw: Path) -> Path:
    """The generated sample, built once; tests must only read it."""
    db_path = tmp_path_factory.mktemp("built_sample") / "warehouse.duckdb"
    shutil.copyfile(sample_raw, db_path)
    result = dbt_runner.build(db_path, dbt_vars={"as_of_date": AS_OF}, quiet=True)
    assert result.success, [(node.unique_id, node.message) for node in result.failures]
    return db_path


@pytest.fixture
def fresh_copy(tmp_path: Path, sample_raw: Path) -> Path:
    """A private copy of the unbuilt sample that a test may change."""
    db_path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sample_raw, db_path)
    return db_path
