"""Lambda runtime setup: the read-only packaged project is copied where dbt can write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from lead_scoring import paths
from lead_scoring.aws import runtime


def test_writable_project_used_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAD_SCORING_PROJECT_DIR", str(REPO_ROOT))

    assert runtime.prepare_project() == REPO_ROOT


def test_read_only_project_is_copied(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Given a packaged project that the process cannot write to
    monkeypatch.setenv("LEAD_SCORING_PROJECT_DIR", str(REPO_ROOT))
    monkeypatch.setattr(runtime.os, "access", lambda path, mode: mode != os.W_OK)
    destination = tmp_path / "project"

    # When the function prepares it
    prepared = runtime.prepare_project(destination)

    # Then dbt is pointed at a copy with the project files and seeds
    assert prepared == destination
    assert paths.project_dir() == destination.resolve()
    assert (destination / "dbt_project.yml").is_file()
    assert (destination / "seeds" / "reference" / "activity_types.csv").is_file()
    assert (destination / "models").is_dir()
    assert not (destination / "src").exists()
