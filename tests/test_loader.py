"""CSV loader and mapping files: export quirks, rejected rows, replace and append."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb
import pytest

from lead_scoring.loader import LoadError, LoadResult, load_csv_files
from lead_scoring.mapping import Mapping, MappingError, load_mapping, parse_mapping, snake_case

EXPECTED_LEADS = ["A-1", "A-2", "A-3", "A-5", "A-7"]


def _query(db_path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(duckdb.connect(str(db_path), read_only=True)) as con:
        return con.execute(sql).fetchall()


def _attributes(db_path: Path, lead_id: str) -> dict[str, str]:
    rows = _query(
        db_path, f"select attribute, value from raw.lead_attributes where lead_id = '{lead_id}'"
    )
    return dict(rows)


@pytest.fixture
def quirks_mapping(fixtures_dir: Path) -> Mapping:
    return load_mapping(fixtures_dir / "quirks_mapping.yml")


@pytest.fixture
def loaded(tmp_path: Path, fixtures_dir: Path, quirks_mapping: Mapping) -> tuple[Path, LoadResult]:
    db_path = tmp_path / "loaded.duckdb"
    result = load_csv_files(db_path, quirks_mapping, [fixtures_dir / "quirks.csv"])
    return db_path, result


def test_valid_rows_loaded(loaded: tuple[Path, LoadResult]):
    db_path, result = loaded
    assert result.leads == len(EXPECTED_LEADS)
    lead_ids = [
        lead_id for (lead_id,) in _query(db_path, "select lead_id from raw.leads order by 1")
    ]
    assert lead_ids == EXPECTED_LEADS


def test_quoted_commas_kept(loaded: tuple[Path, LoadResult]):
    db_path, _ = loaded
    assert _attributes(db_path, "A-1")["full_name"] == "Doe, Jane"
    assert _attributes(db_path, "A-5")["full_name"] == "Multi\r\nline, name"


def test_blank_and_select_are_missing(loaded: tuple[Path, LoadResult]):
    db_path, _ = loaded
    rows = dict(_query(db_path, "select lead_id, country from raw.leads"))
    assert rows["A-2"] is None
    assert rows["A-3"] is None
    titles = dict(_query(db_path, "select lead_id, job_title from raw.leads"))
    assert titles["A-3"] is None
    assert "visits" not in _attributes(db_path, "A-2")


def test_booleans_mapped_any_case(loaded: tuple[Path, LoadResult]):
    db_path, _ = loaded
    assert _attributes(db_path, "A-1")["requested_demo"] == "yes"
    assert _attributes(db_path, "A-2")["requested_demo"] == "no"
    assert _attributes(db_path, "A-3")["requested_demo"] == "yes"
    assert _attributes(db_path, "A-5")["requested_demo"] == "no"


def test_numbers_normalised(loaded: tuple[Path, LoadResult]):
    db_path, result = loaded
    assert _attributes(db_path, "A-1")["pages_per_visit"] == "2.5"
    assert _attributes(db_path, "A-2")["pages_per_visit"] == "1"
    assert _attributes(db_path, "A-3")["pages_per_visit"] == "1234.5"
    assert _attributes(db_path, "A-5")["visits"] == "7"
    assert "visits" not in _attributes(db_path, "A-7")
    assert result.invalid_numbers == 1


def test_constants_fill_every_row(loaded: tuple[Path, LoadResult]):
    db_path, _ = loaded
    sources = {source for (source,) in _query(db_path, "select lead_source from raw.leads")}
    assert sources == {"Spring fair"}


def test_conversion_column_creates_rows(loaded: tuple[Path, LoadResult]):
    db_path, result = loaded
    rows = _query(db_path, "select lead_id, conversion_type from raw.conversions order by 1")
    assert rows == [("A-1", "won"), ("A-5", "won")]
    assert result.conversions == 2


def test_bad_rows_rejected_with_line_numbers(loaded: tuple[Path, LoadResult]):
    db_path, result = loaded
    by_line = {reject.line_number: reject.reason for reject in result.rejects}
    assert sorted(by_line) == [5, 6, 7, 10]
    assert "missing lead id" in by_line[5]
    assert "duplicate lead id 'A-1'" in by_line[6]
    assert "line 2" in by_line[6]
    assert "found 3" in by_line[7]
    assert "found 11" in by_line[10]
    stored = _query(
        db_path,
        "select line_number, target_table, reason, raw_line from raw.load_rejects order by 1::int",
    )
    assert [int(line) for line, *_ in stored] == [5, 6, 7, 10]
    assert {table for _, table, _, _ in stored} == {"leads"}
    assert stored[2][3] == "A-4,Short Row,India"


def test_rejects_name_source_file(loaded: tuple[Path, LoadResult], fixtures_dir: Path):
    db_path, _ = loaded
    files = {
        name for (name,) in _query(db_path, "select distinct source_file from raw.load_rejects")
    }
    assert files == {str(fixtures_dir / "quirks.csv")}


def test_file_without_trailing_comma(tmp_path: Path, quirks_mapping: Mapping):
    csv_path = tmp_path / "plain.csv"
    csv_path.write_text(
        "Lead Id,Full Name,Country,Occupation,Visits,Pages Per Visit,Requested Demo,Converted\n"
        "B-1,Kim Lee,India,Student,2,1.5,Yes,0\n"
        "B-2,Two,India,Student,2,1.5,Yes,0,\n",
        encoding="utf-8",
    )
    db_path = tmp_path / "plain.duckdb"
    result = load_csv_files(db_path, quirks_mapping, [csv_path])
    assert result.leads == 1
    assert [(reject.line_number, reject.reason) for reject in result.rejects] == [
        (3, "expected 8 fields, found 9")
    ]


def test_missing_mapped_column_fails(tmp_path: Path, quirks_mapping: Mapping):
    csv_path = tmp_path / "lacking.csv"
    csv_path.write_text("Lead Id,Full Name,Country\nC-1,Ann,India\n", encoding="utf-8")
    with pytest.raises(LoadError, match="names column 'Occupation'") as caught:
        load_csv_files(tmp_path / "lacking.duckdb", quirks_mapping, [csv_path])
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "lacking.duckdb").exists()


def test_missing_column_suggests_close_name(tmp_path: Path):
    mapping = parse_mapping({"lead_id": "Lead ID"})
    csv_path = tmp_path / "case.csv"
    csv_path.write_text("Lead Id,Name\nD-1,Ann\n", encoding="utf-8")
    with pytest.raises(LoadError, match="did you mean 'Lead Id'"):
        load_csv_files(tmp_path / "case.duckdb", mapping, [csv_path])


def test_missing_csv_file_fails(tmp_path: Path, quirks_mapping: Mapping):
    with pytest.raises(LoadError, match="CSV file not found"):
        load_csv_files(tmp_path / "x.duckdb", quirks_mapping, [tmp_path / "absent.csv"])


def test_non_utf8_file_fails(tmp_path: Path, quirks_mapping: Mapping):
    csv_path = tmp_path / "latin1.csv"
    csv_path.write_bytes("Lead Id,Full Name\nE-1,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(LoadError, match="not UTF-8"):
        load_csv_files(
            tmp_path / "latin1.duckdb", parse_mapping({"lead_id": "Lead Id"}), [csv_path]
        )


def test_load_replaces_previous_rows(loaded: tuple[Path, LoadResult], fixtures_dir: Path):
    db_path, _ = loaded
    mapping = parse_mapping({"lead_id": "Lead Id"})
    csv_path = db_path.parent / "second.csv"
    csv_path.write_text("Lead Id\nZ-1\n", encoding="utf-8")
    load_csv_files(db_path, mapping, [csv_path])
    assert _query(db_path, "select lead_id from raw.leads") == [("Z-1",)]
    assert _query(db_path, "select count(*) from raw.load_rejects") == [(0,)]
    assert _query(db_path, "select count(*) from raw.conversions") == [(0,)]


def test_append_keeps_previous_rows(loaded: tuple[Path, LoadResult]):
    db_path, _ = loaded
    csv_path = db_path.parent / "more.csv"
    csv_path.write_text("Lead Id\nZ-2\n", encoding="utf-8")
    load_csv_files(db_path, parse_mapping({"lead_id": "Lead Id"}), [csv_path], append=True)
    (count,) = _query(db_path, "select count(*) from raw.leads")[0]
    assert count == len(EXPECTED_LEADS) + 1
    assert _query(db_path, "select count(*) from raw.load_rejects") == [(4,)]


def test_duplicates_across_files_rejected(tmp_path: Path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("Lead Id\nF-1\n", encoding="utf-8")
    second.write_text("Lead Id\nF-2\nF-1\n", encoding="utf-8")
    mapping = parse_mapping({"lead_id": "Lead Id"})
    result = load_csv_files(tmp_path / "two.duckdb", mapping, [first, second])
    assert result.leads == 2
    assert len(result.rejects) == 1
    assert result.rejects[0].line_number == 3
    assert "first.csv line 2" in result.rejects[0].reason


# Mapping files -----------------------------------------------------------------------------


def test_mapping_unknown_key_rejected():
    with pytest.raises(MappingError, match="unknown key 'lead'"):
        parse_mapping({"lead_id": "Id", "lead": {}})


def test_mapping_unknown_lead_field_rejected():
    with pytest.raises(MappingError, match=r"'phone' is not a field of raw\.leads"):
        parse_mapping({"lead_id": "Id", "leads": {"phone": "Phone"}})


def test_mapping_requires_lead_id():
    with pytest.raises(MappingError, match="lead_id is missing"):
        parse_mapping({"leads": {"country": "Country"}})


def test_mapping_unquoted_yes_rejected(tmp_path: Path):
    path = tmp_path / "bad.yml"
    path.write_text("lead_id: Id\nbooleans:\n  Yes: yes\n", encoding="utf-8")
    with pytest.raises(MappingError, match="quote the value"):
        load_mapping(path)


def test_mapping_attribute_list_uses_snake_case():
    mapping = parse_mapping({"lead_id": "Id", "attributes": ["Do Not Email", "TotalVisits"]})
    assert mapping.attributes == {"do_not_email": "Do Not Email", "totalvisits": "TotalVisits"}


def test_snake_case_examples():
    assert snake_case("What is your current occupation") == "what_is_your_current_occupation"
    assert snake_case(" Page Views Per Visit ") == "page_views_per_visit"
    assert snake_case("I agree (cheque)") == "i_agree_cheque"


def test_mapping_file_not_found(tmp_path: Path):
    with pytest.raises(MappingError, match="mapping file not found"):
        load_mapping(tmp_path / "absent.yml")


def test_x_education_mapping_parses():
    mapping = load_mapping(Path(__file__).parents[1] / "examples" / "x_education" / "mapping.yml")
    assert mapping.lead_id == "Prospect ID"
    assert mapping.conversion is not None
    assert mapping.conversion.values == frozenset({"1"})
    assert mapping.attributes["lead_number"] == "Lead Number"
    assert "select" in mapping.missing_values
