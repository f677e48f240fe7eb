"""A killed or concurrent build never leaves a half-written warehouse."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warehouse_helpers import AS_OF, DETERMINISTIC_MARTS, Build, table_rows

from lead_scoring import dbt_runner

pytestmark = pytest.mark.slow

BUILD_SCRIPT = """
import sys
from pathlib import Path
from lead_scoring import dbt_runner
dbt_runner.build(Path(sys.argv[1]), full_refresh=True, dbt_vars={"as_of_date": sys.argv[2]})
"""


def start_build(db_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", BUILD_SCRIPT, str(db_path), AS_OF],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.2)


def test_killed_build_leaves_published_marts_intact(
    built_sample: Path, tmp_path: Path, build: Build
) -> None:
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)
    before = {table: table_rows(db_path, table) for table in DETERMINISTIC_MARTS}
    work_file = db_path.with_name(f"{db_path.stem}.building{db_path.suffix}")

    # Given a full rebuild that is killed while dbt is writing models
    process = start_build(db_path)
    wait_for(work_file.exists)
    time.sleep(8)
    assert process.poll() is None, "the build finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    # Then the published warehouse is exactly as it was
    for table, rows in before.items():
        assert table_rows(db_path, table) == rows, table

    # And the next build cleans up and completes normally
    result = build(db_path)
    assert result.success
    assert not work_file.exists()


def test_second_build_is_rejected_while_one_runs(built_sample: Path, tmp_path: Path) -> None:
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)
    work_file = db_path.with_name(f"{db_path.stem}.building{db_path.suffix}")
    process = start_build(db_path)
    try:
        wait_for(work_file.exists)
        with pytest.raises(dbt_runner.BuildLockedError, match="another build"):
            dbt_runner.build(db_path)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
