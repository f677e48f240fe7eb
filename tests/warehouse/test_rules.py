"""Rule tables: changes rescore every lead, and a broken table stops the build."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from warehouse_helpers import (
    DETERMINISTIC_MARTS,
    Build,
    execute,
    query,
    release_batch,
    split_activities,
    table_rows,
)

from lead_scoring import dbt_runner, paths

pytestmark = pytest.mark.slow


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of the default rule set that a test may edit."""
    rules = tmp_path / "rules"
    shutil.copytree(paths.default_rules_dir(), rules)
    return rules


def edit_rule(rules: Path, table: str, rule_id: str, column: str, value: str) -> None:
    path = rules / f"{table}.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    matched = [row for row in rows if row["rule_id"] == rule_id]
    assert matched, f"{rule_id} not in {table}"
    matched[0][column] = value
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_changed_points_rescore_every_lead(
    built_sample: Path, tmp_path: Path, rules_copy: Path, build: Build
) -> None:
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)
    (pricing_before,) = query(
        db_path, "select sum(raw_points) from marts.score_ledger where rule_id = 'page_pricing'"
    )[0]

    # The pricing page goes from 10 to 20 points
    edit_rule(rules_copy, "page_rules", "page_pricing", "points", "20")
    result = build(db_path, rules_dir=rules_copy)

    assert result.rules_changed
    assert result.full_refresh
    (pricing_after,) = query(
        db_path, "select sum(raw_points) from marts.score_ledger where rule_id = 'page_pricing'"
    )[0]
    assert pricing_after == 2 * pricing_before


def test_reordered_rule_rows_rescore_nothing(
    built_sample: Path, tmp_path: Path, rules_copy: Path, build: Build
) -> None:
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)
    before = table_rows(db_path, "marts.score_ledger")

    # Same rules, rows in reverse order and Windows line endings, as a spreadsheet saves them
    path = rules_copy / "activity_rules.csv"
    lines = path.read_text().splitlines()
    path.write_text("\r\n".join([lines[0], *reversed(lines[1:])]) + "\r\n")
    result = build(db_path, rules_dir=rules_copy)

    assert not result.rules_changed
    assert not result.full_refresh
    assert table_rows(db_path, "marts.score_ledger") == before


def test_changed_scoring_code_rebuilds_everything(
    built_sample: Path, tmp_path: Path, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)

    # A new version of the models, as an upgrade brings it
    monkeypatch.setattr(dbt_runner, "code_fingerprint", lambda: "a newer version")
    upgraded = build(db_path)
    again = build(db_path)

    assert upgraded.code_changed
    assert upgraded.full_refresh
    assert not upgraded.rules_changed
    assert not again.code_changed
    assert not again.full_refresh


def test_malformed_rule_stops_build_and_keeps_marts(
    built_sample: Path, tmp_path: Path, rules_copy: Path, build: Build
) -> None:
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)
    before = table_rows(db_path, "marts.lead_qualification")

    edit_rule(rules_copy, "activity_rules", "act_chat", "points", "5000")
    edit_rule(rules_copy, "grading_criteria", "crit_country", "operator", "bigger_than")
    result = build(db_path, rules_dir=rules_copy, expect_failure=True)

    assert not result.success
    assert any("rule act_chat: points must be" in problem for problem in result.rule_problems)
    assert any(
        "rule crit_country: unknown operator bigger_than" in problem
        for problem in result.rule_problems
    )
    assert table_rows(db_path, "marts.lead_qualification") == before


def test_rules_folder_missing_a_table(tmp_path: Path, rules_copy: Path) -> None:
    (rules_copy / "page_rules.csv").unlink()
    with pytest.raises(dbt_runner.RuleSetError, match=r"lacks page_rules\.csv"):
        dbt_runner.build(tmp_path / "warehouse.duckdb", rules_dir=rules_copy)


def _equals_full_refresh(db_path: Path, tmp_path: Path, build: Build, **options) -> None:
    full = tmp_path / "full" / db_path.name
    full.parent.mkdir()
    shutil.copyfile(db_path, full)
    build(full, full_refresh=True, **options)
    for table in DETERMINISTIC_MARTS:
        assert table_rows(db_path, table) == table_rows(full, table), table


def test_rule_change_in_selective_build(
    built_sample: Path, tmp_path: Path, rules_copy: Path, build: Build
) -> None:
    db_path = tmp_path / built_sample.name
    shutil.copyfile(built_sample, db_path)
    edit_rule(rules_copy, "page_rules", "page_pricing", "points", "20")

    # A build of one mart under the new rules rebuilds that mart only
    build(db_path, rules_dir=rules_copy, select="lead_scores")
    result = build(db_path, rules_dir=rules_copy)

    assert result.full_refresh
    _equals_full_refresh(db_path, tmp_path, build, rules_dir=rules_copy)


def test_rule_table_edited_in_place(fresh_copy: Path, tmp_path: Path, build: Build) -> None:
    cut_offs = split_activities(fresh_copy, (0.7,))
    release_batch(fresh_copy, cut_offs[0])
    build(fresh_copy)
    # The rule files are the rule set; an edit of their tables in the warehouse is not
    execute(fresh_copy, "update rules.activity_rules set points = points * 10")
    release_batch(fresh_copy, None)

    result = build(fresh_copy)

    assert not result.full_refresh
    assert any("seed" in node.resource_type.lower() for node in result.nodes)
    _equals_full_refresh(fresh_copy, tmp_path, build)
