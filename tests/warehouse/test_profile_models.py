"""The models a build may keep when the leads' own data is unchanged read nothing else."""

from __future__ import annotations

from pathlib import Path

from lead_scoring import dbt_runner
from lead_scoring.dbt_runner import PROFILE_MODELS, PROFILE_SOURCES


def _manifest(tmp_path: Path):
    result = dbt_runner.invoke_dbt(["parse", "--quiet"], tmp_path / "parse.duckdb")
    assert result.success, result.exception
    return result.result


def _parents(manifest, unique_id: str) -> set[str]:
    node = manifest.nodes.get(unique_id)
    # Sources have no entry in nodes, and seeds depend on macros only.
    return set(getattr(getattr(node, "depends_on", None), "nodes", ()))


def _ancestors(manifest, unique_id: str) -> set[str]:
    found: set[str] = set()
    pending = [unique_id]
    while pending:
        for parent in _parents(manifest, pending.pop()):
            if parent not in found:
                found.add(parent)
                pending.append(parent)
    return found


def _stable(manifest, unique_id: str) -> bool:
    """Whether a node reads only seeds and the raw tables that describe leads and accounts."""
    allowed = {f"source.lead_scoring.raw.{table}" for table in PROFILE_SOURCES}
    return all(
        ancestor.startswith(("model.", "seed.")) or ancestor in allowed
        for ancestor in _ancestors(manifest, unique_id)
    )


def test_profile_models_read_no_activity(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    for name in PROFILE_MODELS:
        unique_id = f"model.lead_scoring.{name}"
        assert unique_id in manifest.nodes, name
        assert _stable(manifest, unique_id), name


def test_tests_skipped_with_profile_models_check_nothing_else(tmp_path: Path) -> None:
    # A build that keeps the profile models leaves out every test that reads one of them.
    # Such a test must not also check a table that the build rewrites.
    manifest = _manifest(tmp_path)
    kept = {f"model.lead_scoring.{name}" for name in PROFILE_MODELS}
    checked = 0
    for unique_id, node in manifest.nodes.items():
        parents = _parents(manifest, unique_id)
        if node.resource_type != "test" or not parents & kept:
            continue
        checked += 1
        for parent in parents - kept:
            assert _stable(manifest, parent), (unique_id, parent)
    assert checked > 0
