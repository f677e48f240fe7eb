"""Acceptance: the X Education export, loaded and scored with its example rule set.

Set LEAD_SCORING_X_EDUCATION_DIR to the folder holding Leads.csv to run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from warehouse_helpers import query

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT / "examples" / "x_education"
DATA_VARIABLE = "LEAD_SCORING_X_EDUCATION_DIR"


@pytest.fixture(scope="module")
def x_education_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = os.environ.get(DATA_VARIABLE)
    if not data_dir:
        pytest.skip(f"{DATA_VARIABLE} is not set; point it at the folder holding Leads.csv")
    leads_csv = Path(data_dir) / "Leads.csv"
    if not leads_csv.is_file():
        pytest.skip(f"{leads_csv} not found; {DATA_VARIABLE} must name the folder of Leads.csv")
    db_path = tmp_path_factory.mktemp("x_education") / "x_education.duckdb"
    cli = [sys.executable, "-m", "lead_scoring.cli"]
    database = ["--db", str(db_path)]
    mapping = str(EXAMPLE / "mapping.yml")
    subprocess.run([*cli, "load", *database, "--mapping", mapping, str(leads_csv)], check=True)
    subprocess.run([*cli, "build", *database, "--rules", str(EXAMPLE / "rules")], check=True)
    return db_path


@pytest.fixture(scope="module")
def report(x_education_db: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "lead_scoring.cli",
        "report",
        "--db",
        str(x_education_db),
        "--format",
        "json",
    ]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(completed.stdout)


def test_every_lead_and_conversion_is_loaded(report: dict) -> None:
    assert report["leads"] == 9240
    assert report["conversions"] == 3561


def test_score_auc_at_least_080(report: dict) -> None:
    assert report["auc_score"] >= 0.80


def test_grades_a_b_double_d_f_rate(report: dict) -> None:
    def rate(letters: str) -> float:
        grades = [grade for grade in report["grades"] if grade["grade"][0] in letters]
        leads = sum(grade["leads"] for grade in grades)
        conversions = sum(grade["conversions"] for grade in grades)
        return conversions / leads

    assert rate("AB") >= 2 * rate("DF")


def test_every_lead_gets_a_grade_and_stage(x_education_db: Path) -> None:
    (leads, graded, staged) = query(
        x_education_db, "select count(*), count(grade), count(stage) from marts.lead_qualification"
    )[0]
    assert leads == 9240
    assert graded == leads
    assert staged == leads


def test_rules_use_no_field_filled_in_after_contact(x_education_db: Path) -> None:
    leaking = ("tags", "lead_quality", "lead_profile")
    used = {
        attribute
        for (attribute,) in query(
            x_education_db,
            "select attribute from staging.stg_rules__property_rules union all "
            "select attribute from staging.stg_rules__grading_criteria",
        )
    }
    assert not {name for name in used if name in leaking or name.startswith("asymmetrique")}
