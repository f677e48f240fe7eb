"""Command line: one-line errors, help text, generate, load, and the report on known marts."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from lead_scoring import dbt_runner, report

# The run_cli fixture in conftest.py: runs `lead-scoring ARGS...` in a subprocess.
CliRunner = Callable[..., subprocess.CompletedProcess[str]]

COMMANDS = ("demo", "generate", "load", "build", "report")


def _assert_one_error_line(result, expected: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in lines[0]
    assert "error" in lines[0]


def test_unknown_argument_one_line(run_cli: CliRunner):
    result = run_cli("build", "--no-such-option")
    _assert_one_error_line(result, "unrecognized arguments: --no-such-option")
    assert result.returncode == 2


def test_unknown_command_one_line(run_cli: CliRunner):
    _assert_one_error_line(run_cli("explode"), "invalid choice: 'explode'")


def test_missing_command_one_line(run_cli: CliRunner):
    _assert_one_error_line(run_cli(), "required: COMMAND")


def test_invalid_date_one_line(run_cli: CliRunner):
    _assert_one_error_line(run_cli("build", "--as-of", "2025-13-01"), "invalid date '2025-13-01'")


def test_invalid_count_one_line(run_cli: CliRunner):
    _assert_one_error_line(run_cli("generate", "--leads", "many"), "invalid count 'many'")


def test_missing_csv_one_line(run_cli: CliRunner, fixtures_dir: Path, tmp_path: Path):
    result = run_cli(
        "load",
        "--mapping",
        str(fixtures_dir / "quirks_mapping.yml"),
        str(tmp_path / "absent.csv"),
        "--db",
        str(tmp_path / "w.duckdb"),
    )
    _assert_one_error_line(result, "CSV file not found")


def test_missing_mapping_one_line(run_cli: CliRunner, fixtures_dir: Path, tmp_path: Path):
    result = run_cli(
        "load", "--mapping", str(tmp_path / "absent.yml"), str(fixtures_dir / "quirks.csv")
    )
    _assert_one_error_line(result, "mapping file not found")


def test_mapping_missing_column_one_line(run_cli: CliRunner, fixtures_dir: Path, tmp_path: Path):
    csv_path = tmp_path / "narrow.csv"
    csv_path.write_text("Lead Id,Full Name\nA-1,Ann\n", encoding="utf-8")
    result = run_cli(
        "load",
        "--mapping",
        str(fixtures_dir / "quirks_mapping.yml"),
        str(csv_path),
        "--db",
        str(tmp_path / "w.duckdb"),
    )
    _assert_one_error_line(result, "names column 'Country'")


def test_missing_rules_dir_one_line(run_cli: CliRunner, tmp_path: Path):
    result = run_cli(
        "build", "--rules", str(tmp_path / "no_rules"), "--db", str(tmp_path / "w.duckdb")
    )
    _assert_one_error_line(result, "rules folder not found")


def test_report_without_warehouse_one_line(run_cli: CliRunner, tmp_path: Path):
    result = run_cli("report", "--db", str(tmp_path / "absent.duckdb"))
    _assert_one_error_line(result, "warehouse file not found")
    assert not (tmp_path / "absent.duckdb").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_for_every_command(run_cli: CliRunner, command: str):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "--db PATH" in result.stdout
    assert result.stderr == ""


def test_help_states_units_and_replacement(run_cli: CliRunner):
    assert "YYYY-MM-DD" in run_cli("build", "--help").stdout
    generate_help = " ".join(run_cli("generate", "--help").stdout.split())
    assert "number of leads" in generate_help
    assert "midnight UTC" in generate_help
    load_help = " ".join(run_cli("load", "--help").stdout.split())
    assert "REPLACES" in load_help
    assert "--append" in load_help


def test_db_from_environment(run_cli: CliRunner, tmp_path: Path):
    db_path = tmp_path / "from_env.duckdb"
    result = run_cli("generate", "--leads", "20", env={"LEAD_SCORING_DB": str(db_path)})
    assert result.returncode == 0, result.stderr
    assert db_path.exists()


def test_generate_reports_progress(run_cli: CliRunner, tmp_path: Path):
    db_path = tmp_path / "gen.duckdb"
    result = run_cli(
        "generate", "--leads", "30", "--events", "900", "--seed", "5", "--db", str(db_path)
    )
    assert result.returncode == 0, result.stderr
    assert "activities 900" in result.stdout
    assert "activities: 900 of 900 rows" in result.stderr


def test_load_reports_rejects_on_stderr(run_cli: CliRunner, fixtures_dir: Path, tmp_path: Path):
    result = run_cli(
        "load",
        "--mapping",
        str(fixtures_dir / "quirks_mapping.yml"),
        str(fixtures_dir / "quirks.csv"),
        "--db",
        str(tmp_path / "w.duckdb"),
    )
    assert result.returncode == 0, result.stderr
    assert "Loaded 5 leads" in result.stdout
    assert "4 rows rejected" in result.stderr
    assert "quirks.csv line 5: missing lead id" in result.stderr
    assert "Traceback" not in result.stderr


# Report on hand-made marts ---------------------------------------------------------------


def _write_marts(db_path: Path) -> None:
    with contextlib.closing(duckdb.connect(str(db_path))) as con:
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.lead_qualification as
            select * from (values
                ('L1', 'A1', 'a@x.example', 'o@x.example', 'default', 95.0, 'A', 11,
                    'hot', 1, 'Pricing page', 'Demo form', null, 'Pricing page; Demo form',
                    timestamp '2025-05-30 10:00:00', true, date '2025-06-01'),
                ('L2', 'A1', 'b@x.example', 'o@x.example', 'default', 40.0, 'C', 5,
                    'mql', 2, 'Blog', null, null, 'Blog',
                    timestamp '2025-05-20 10:00:00', false, date '2025-06-01'),
                ('L3', 'A2', 'c@x.example', 'o@x.example', 'default', 5.0, null, null,
                    'cold', 3, null, null, null, null,
                    null, false, date '2025-06-01')
            ) as t(lead_id, account_id, email, owner_email, profile_id, score, grade,
                grade_step, stage, stage_order, reason_1, reason_2, reason_3, top_reasons,
                last_activity_at, is_converted, as_of_date)
            """
        )
        con.execute(
            """
            create table marts.quarantine as
            select * from (values
                ('activities', 'evt-1', 'unknown activity type', '{}', null),
                ('activities', 'evt-2', 'unknown activity type', '{}', null),
                ('leads', null, 'missing lead id', '{}', null)
            ) as t(source_table, record_id, reason, record, loaded_at)
            """
        )
        con.execute(
            """
            create table marts.scoring_performance as
            select * from (values
                ('grade', 'A', 11, 1, 1, 1.0, 3.0, 95.0, 95.0),
                ('grade', 'C', 5, 1, 0, 0.0, 0.0, 40.0, 40.0),
                ('grade', 'none', -1, 1, 0, 0.0, 0.0, 5.0, 5.0),
                ('score_band', 'band 1', 1, 2, 0, 0.0, 0.0, 5.0, 40.0),
                ('score_band', 'band 2', 2, 1, 1, 1.0, 3.0, 95.0, 95.0)
            ) as t(dimension, bucket, bucket_order, leads, conversions, conversion_rate,
                lift, min_score, max_score)
            """
        )
        con.execute(
            """
            create table marts.scoring_auc as
            select * from (values ('score', 1.0, 3, 1), ('grade', 1.0, 2, 1))
                as t(measure, auc, leads, conversions)
            """
        )
        con.execute(
            """
            create table marts.withheld_points as
            select * from (values
                ('first_time', null, 2, 2, 40.0),
                ('bot', 'bot user agent', 1, 3, 12.0),
                ('bot', 'email link scanner: click right after delivery', 1, 2, 6.0),
                ('daily_cap', 'positive rules', 3, null, 1500.0),
                ('daily_cap', 'negative rules', 3, null, -5.0),
                ('decay', 'age', 4, null, 2.25),
                ('score_limit', 'total', 5, null, 0.0)
            ) as t(reason, detail, reason_order, events, points)
            """
        )


@pytest.fixture
def marts_db(tmp_path: Path) -> Path:
    # Not marts.duckdb: DuckDB names the catalog after the file, and a catalog named "marts"
    # makes the schema name marts ambiguous.
    db_path = tmp_path / "published.duckdb"
    _write_marts(db_path)
    return db_path


def test_report_json_fields(run_cli: CliRunner, marts_db: Path):
    result = run_cli("report", "--format", "json", "--db", str(marts_db))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["leads"] == 3
    assert document["conversions"] == 1
    assert document["auc_score"] == 1.0
    assert document["auc_grade"] == 1.0
    assert [grade["grade"] for grade in document["grades"]] == ["A", "C", "none"]
    assert document["grades"][0] == {
        "grade": "A",
        "leads": 1,
        "conversions": 1,
        "conversion_rate": 1.0,
        "lift": 3.0,
    }
    assert [band["band"] for band in document["score_bands"]] == ["band 2", "band 1"]
    assert document["score_bands"][1]["max_score"] == 40.0


def test_report_table_format(run_cli: CliRunner, marts_db: Path):
    result = run_cli("report", "--db", str(marts_db))
    assert result.returncode == 0, result.stderr
    assert "ROC AUC of score: 1.000" in result.stdout
    assert "Conversion by grade:" in result.stdout
    assert "100.0%" in result.stdout


def test_report_withheld_section(run_cli: CliRunner, marts_db: Path):
    result = run_cli("report", "--db", str(marts_db))
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("Points withheld:\n", 1)[1].splitlines()
    assert section[0].split() == ["reason", "detail", "events", "points"]
    assert [line.split()[0] for line in section[2:]] == [
        "bot",
        "bot",
        "first_time",
        "daily_cap",
        "daily_cap",
        "decay",
        "score_limit",
    ]
    assert section[4].split() == ["first_time", "-", "2", "40"]
    assert section[5].split() == ["daily_cap", "negative", "rules", "-", "-5"]
    assert section[7].split() == ["decay", "age", "-", "2.25"]


def test_report_json_withheld(run_cli: CliRunner, marts_db: Path):
    result = run_cli("report", "--format", "json", "--db", str(marts_db))
    assert result.returncode == 0, result.stderr
    withheld = json.loads(result.stdout)["points_withheld"]
    assert len(withheld) == 7
    assert withheld[0] == {"reason": "bot", "detail": "bot user agent", "events": 3, "points": 12.0}
    assert withheld[3]["events"] is None


def test_withheld_totals_line(marts_db: Path):
    with contextlib.closing(report.open_warehouse(marts_db)) as con:
        line = report.format_withheld_totals(report.withheld_points(con))
    assert line == (
        "Points withheld: bot 18 (5 events), first_time 40 (2 events), daily_cap 1,500 / -5, "
        "decay 2.25, score_limit 0"
    )


def test_report_from_environment_db(run_cli: CliRunner, marts_db: Path):
    result = run_cli("report", "--format", "json", env={"LEAD_SCORING_DB": str(marts_db)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["leads"] == 3


def test_stage_and_quarantine_counts(marts_db: Path):
    with contextlib.closing(report.open_warehouse(marts_db)) as con:
        stages = report.stage_counts(con)
        quarantine = report.quarantine_counts(con)
        top = report.top_leads(con, 2)
    assert [(row["stage"], row["leads"]) for row in stages] == [
        ("hot", 1),
        ("mql", 1),
        ("cold", 1),
    ]
    assert quarantine[0] == {
        "source_table": "activities",
        "reason": "unknown activity type",
        "rows": 2,
    }
    assert [row["lead_id"] for row in top] == ["L1", "L2"]
    assert "email" not in top[0]


def test_report_missing_mart_one_line(run_cli: CliRunner, tmp_path: Path):
    db_path = tmp_path / "raw_only.duckdb"
    run_cli("generate", "--leads", "10", "--db", str(db_path))
    result = run_cli("report", "--db", str(db_path))
    _assert_one_error_line(result, "no table marts.lead_qualification")


def test_format_table_aligns_numbers():
    text = report.format_table([{"name": "a", "rows": 5}, {"name": "bb", "rows": 1234}])
    lines = text.splitlines()
    assert lines[0].split() == ["name", "rows"]
    assert lines[2].endswith("    5")
    assert lines[3].endswith("1,234")


# Real export ------------------------------------------------------------------------------

X_EDUCATION_DIR = os.environ.get("LEAD_SCORING_X_EDUCATION_DIR")


@pytest.mark.skipif(
    not X_EDUCATION_DIR, reason="LEAD_SCORING_X_EDUCATION_DIR is not set to the export folder"
)
def test_x_education_export_loads(run_cli: CliRunner, tmp_path: Path):
    mapping = Path(__file__).parents[1] / "examples" / "x_education" / "mapping.yml"
    db_path = tmp_path / "x.duckdb"
    result = run_cli(
        "load",
        "--mapping",
        str(mapping),
        str(Path(X_EDUCATION_DIR) / "Leads.csv"),
        "--db",
        str(db_path),
    )
    assert result.returncode == 0, result.stderr
    with contextlib.closing(duckdb.connect(str(db_path), read_only=True)) as con:
        (leads,) = con.execute("select count(*) from raw.leads").fetchone()
        (conversions,) = con.execute("select count(*) from raw.conversions").fetchone()
        (rejects,) = con.execute("select count(*) from raw.load_rejects").fetchone()
    assert leads == 9_240
    assert conversions == 3_561
    assert rejects == 0


def test_future_as_of_one_line(run_cli: CliRunner, tmp_path: Path):
    result = run_cli("build", "--as-of", "2999-01-01", "--db", str(tmp_path / "w.duckdb"))
    _assert_one_error_line(result, "--as-of 2999-01-01 is after today")


def test_build_without_rules_keeps_last_rules(run_cli: CliRunner, tmp_path: Path):
    db_path = tmp_path / "w.duckdb"
    with contextlib.closing(duckdb.connect(str(db_path))) as con:
        dbt_runner.ensure_meta(con)
        con.execute(
            "insert into meta.run_log (run_id, started_at, finished_at, rules_dir, status) "
            "values ('r1', now(), now(), '/data/my_rules', 'success')"
        )

    result = run_cli("build", "--db", str(db_path))

    _assert_one_error_line(result, "used the rules in /data/my_rules")
    assert "pass --rules /data/my_rules to keep them" in result.stderr


@pytest.mark.parametrize("name", ["raw.duckdb", "Marts.duckdb", "main.db"])
def test_schema_named_warehouse_one_line(run_cli: CliRunner, tmp_path: Path, name: str):
    result = run_cli("report", "--db", str(tmp_path / name))
    _assert_one_error_line(result, f"warehouse file {name} is named like the schema")


@pytest.mark.slow
def test_build_of_empty_warehouse_says_so(run_cli: CliRunner, tmp_path: Path):
    db_path = tmp_path / "misspelled.duckdb"
    result = run_cli("build", "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    assert f"{db_path} has no leads or activities" in result.stdout
