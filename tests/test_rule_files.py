"""Rule tables are checked against their declared column types before a build starts."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from lead_scoring import dbt_runner, paths, rule_files

PROJECT = paths.project_dir()


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(paths.default_rules_dir(), copy)
    return copy


def set_cell(rules: Path, table: str, line: int, column: str, value: str) -> None:
    """Set one value of a rule table; line counts the header as line 1, as editors do."""
    path = rules / f"{table}.csv"
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.parametrize(
    "rules_dir",
    [paths.default_rules_dir(), PROJECT / "examples" / "x_education" / "rules"],
    ids=["default", "x_education"],
)
def test_shipped_rule_sets_pass(rules_dir: Path) -> None:
    assert rule_files.problems(rules_dir, dbt_runner.RULE_FILES) == []


def test_every_rule_table_has_declared_types() -> None:
    declared = rule_files.declared_columns()
    assert {Path(name).stem for name in dbt_runner.RULE_FILES} <= set(declared)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("points", "ten", "points 'ten' is not a whole number"),
        # DuckDB would load 2.5 into an integer column as 3.
        ("points", "2.5", "points '2.5' is not a whole number"),
        ("is_repeatable", "maybe", "is_repeatable 'maybe' is not true or false"),
        ("daily_cap", "20 points", "daily_cap '20 points' is not a whole number"),
        ("points", "inf", "points 'inf' is not a whole number"),
        ("points", "99999999999", "points '99999999999' is out of range for its type (integer)"),
    ],
)
def test_wrong_type_names_line_and_column(
    rules: Path, column: str, value: str, expected: str
) -> None:
    set_cell(rules, "activity_rules", 3, column, value)
    assert rule_files.problems(rules, dbt_runner.RULE_FILES) == [
        f"activity_rules.csv line 3: {expected}"
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [("points", " 5"), ("points", "-3"), ("points", "1e3"), ("is_repeatable", "TRUE")],
)
def test_values_duckdb_loads_as_written_pass(rules: Path, column: str, value: str) -> None:
    set_cell(rules, "activity_rules", 3, column, value)
    assert rule_files.problems(rules, dbt_runner.RULE_FILES) == []


def test_decimal_columns_take_fractions(rules: Path) -> None:
    set_cell(rules, "metric_rules", 2, "threshold", "2.5")
    set_cell(rules, "decay_rules", 2, "rate_pct", "12.5")
    assert rule_files.problems(rules, dbt_runner.RULE_FILES) == []


def test_misspelled_header_reports_both_names(rules: Path) -> None:
    set_cell(rules, "page_rules", 1, "category", "categroy")
    found = rule_files.problems(rules, dbt_runner.RULE_FILES)
    assert found[0] == "page_rules.csv: column category is missing"
    assert found[1].startswith("page_rules.csv: column 'categroy' is not a column of this table")
    assert len(found) == 2


def test_row_with_a_value_too_many(rules: Path) -> None:
    path = rules / "score_limits.csv"
    lines = path.read_text().splitlines()
    lines.append("lim_extra,Extra,true,web,10,surplus")
    path.write_text("\n".join(lines) + "\n")
    assert rule_files.problems(rules, dbt_runner.RULE_FILES) == [
        f"score_limits.csv line {len(lines)}: 6 values, but the header has 5"
    ]


def test_empty_file_is_reported(rules: Path) -> None:
    (rules / "score_limits.csv").write_text("")
    assert rule_files.problems(rules, dbt_runner.RULE_FILES) == [
        "score_limits.csv: the file is empty; it needs at least its header row"
    ]


def test_row_of_commas_is_reported_by_line(rules: Path) -> None:
    path = rules / "page_rules.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, ",,,,,,"]) + "\n")
    assert rule_files.problems(rules, dbt_runner.RULE_FILES) == [
        f"page_rules.csv line {len(lines) + 1}: the row has only empty values; delete it"
    ]


def test_file_not_in_utf8_names_the_line(rules: Path) -> None:
    path = rules / "activity_rules.csv"
    lines = path.read_bytes().splitlines()
    lines.append("act_cafe,Caf\xe9 visit,true,page_view,,1,true,,web".encode("latin-1"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert rule_files.problems(rules, dbt_runner.RULE_FILES) == [
        f"activity_rules.csv line {len(lines)}: byte 0xe9 is not UTF-8 text; "
        "save the file as CSV UTF-8"
    ]


def test_byte_order_mark_is_no_rule_change(rules: Path) -> None:
    before = dbt_runner.rules_fingerprint(rules)
    path = rules / "activity_rules.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert rule_files.problems(rules, dbt_runner.RULE_FILES) == []
    assert dbt_runner.rules_fingerprint(rules) == before


def test_build_stops_before_touching_the_warehouse(rules: Path, tmp_path: Path) -> None:
    set_cell(rules, "activity_rules", 2, "points", "one")
    set_cell(rules, "activity_rules", 3, "points", "two")
    db_path = tmp_path / "warehouse.duckdb"
    with pytest.raises(dbt_runner.RuleSetError) as raised:
        dbt_runner.build(db_path, rules_dir=rules)
    assert raised.value.problems == [
        "activity_rules.csv line 2: points 'one' is not a whole number",
        "activity_rules.csv line 3: points 'two' is not a whole number",
    ]
    assert not db_path.exists()


def test_cli_lists_one_problem_per_line(run_cli, rules: Path, tmp_path: Path) -> None:
    set_cell(rules, "activity_rules", 2, "points", "one")
    set_cell(rules, "page_rules", 2, "is_priority", "often")
    result = run_cli("build", "--rules", str(rules), "--db", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"lead-scoring build: error: rule tables in {rules.resolve()} have 2 problem(s)",
        "  activity_rules.csv line 2: points 'one' is not a whole number",
        "  page_rules.csv line 2: is_priority 'often' is not true or false",
    ]
