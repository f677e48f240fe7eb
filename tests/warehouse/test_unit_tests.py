"""The dbt unit tests: each rule semantic against rows worked out by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lead_scoring import dbt_runner

pytestmark = pytest.mark.slow


def test_dbt_unit_tests_pass(built_sample: Path, tmp_path: Path) -> None:
    # Same file name: DuckDB names the catalog after the file, and views refer to it.
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)
    results = dbt_runner.run_unit_tests(db_path)
    failed = [(node.unique_id, node.message) for node in results if node.status != "pass"]
    assert len(results) >= 14
    assert failed == []
