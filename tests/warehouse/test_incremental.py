"""Incremental builds: new activity costs only itself, and the result equals a full rebuild."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from warehouse_helpers import (
    AS_OF,
    DETERMINISTIC_MARTS,
    Build,
    execute,
    query,
    release_batch,
    split_activities,
    table_rows,
)

from lead_scoring import paths
from lead_scoring.dbt_runner import PROFILE_MODELS

pytestmark = pytest.mark.slow


def test_incremental_builds_equal_a_full_refresh(
    fresh_copy: Path, sample_raw: Path, tmp_path: Path, build: Build
) -> None:
    # Given the sample's events arriving in three batches by load time
    cut_offs = split_activities(fresh_copy, (0.5, 0.8))
    release_batch(fresh_copy, cut_offs[0])
    first = build(fresh_copy)
    assert first.full_refresh

    # When two more batches arrive, each followed by an incremental build
    release_batch(fresh_copy, cut_offs[1])
    second = build(fresh_copy)
    release_batch(fresh_copy, None)
    third = build(fresh_copy)
    assert not second.full_refresh
    assert not third.full_refresh
    # Only activity arrived, so the lead profile models kept their tables
    assert second.profiles_reused
    assert third.profiles_reused

    # Then every mart equals, row for row, a full refresh over all the events at once
    full = tmp_path / "full" / fresh_copy.name
    full.parent.mkdir()
    shutil.copyfile(sample_raw, full)
    assert build(full, full_refresh=True).full_refresh
    for table in DETERMINISTIC_MARTS:
        assert table_rows(fresh_copy, table) == table_rows(full, table), table


def test_redelivered_batch_changes_no_score(fresh_copy: Path, build: Build) -> None:
    build(fresh_copy)
    scores_before = table_rows(fresh_copy, "marts.score_ledger")
    (events_before,) = query(fresh_copy, "select count(*) from intermediate.int_activities")[0]

    # The feed delivers the last 500 kept events again, with a later load time
    execute(
        fresh_copy,
        """
        insert into raw.activities by name
        select
            event_id, lead_id, visitor_id, activity_type, url, asset, user_agent, properties,
            strftime(occurred_at, '%Y-%m-%dT%H:%M:%SZ') as occurred_at,
            '2025-06-01T00:00:00Z' as loaded_at,
            cast(duration_seconds as varchar) as duration_seconds
        from intermediate.int_activities
        order by loaded_at desc, event_id
        limit 500
        """,
    )
    build(fresh_copy)

    (events_after,) = query(fresh_copy, "select count(*) from intermediate.int_activities")[0]
    assert events_after == events_before
    assert table_rows(fresh_copy, "marts.score_ledger") == scores_before
    # Every copy is listed as a re-delivery, with the time it arrived
    redeliveries = query(
        fresh_copy,
        "select count(*) from marts.quarantine "
        "where reason = 'duplicate event_id (re-delivery)' "
        "and loaded_at = timestamp '2025-06-01 00:00:00'",
    )
    assert redeliveries[0][0] == 500


def test_rerunning_with_no_new_events_changes_nothing(fresh_copy: Path, build: Build) -> None:
    build(fresh_copy)
    before = {table: table_rows(fresh_copy, table) for table in DETERMINISTIC_MARTS}
    build(fresh_copy)
    for table, rows in before.items():
        assert table_rows(fresh_copy, table) == rows, table


def test_tied_deliveries_keep_the_same_row(fresh_copy: Path, tmp_path: Path, build: Build) -> None:
    build(fresh_copy)
    (lead_id,) = query(fresh_copy, "select min(lead_id) from staging.stg_leads")[0]

    # Each of 100 events arrives twice in one batch, with the same load time, instant and
    # page. One copy comes from a browser and writes the time with T and Z, the other from
    # a crawler and writes it with a space. The batch is in no particular order.
    execute(
        fresh_copy,
        """
        insert into raw.activities by name
        select
            'tie-' || i as event_id, ? as lead_id, 'page_view' as activity_type,
            case when j = 0 then '2025-05-30T13:00:00Z' else '2025-05-30 13:00:00' end
                as occurred_at,
            '2025-06-01T00:00:00Z' as loaded_at,
            'https://www.example.com/pricing/' as url,
            case when j = 0 then 'Mozilla/5.0' else 'Googlebot/2.1' end as user_agent
        from range(100) as events(i), range(2) as copies(j)
        order by hash(i * 7 + j)
        """,
        [lead_id],
    )
    assert not build(fresh_copy).full_refresh

    # Then no delivery is both kept and listed as a re-delivery
    kept_and_listed = query(
        fresh_copy,
        """
        select count(*)
        from intermediate.int_activities as kept
        inner join intermediate.int_activity_rejects as listed using (event_id)
        where
            kept.event_id like 'tie-%'
            and (kept.user_agent = 'Mozilla/5.0')
            = (listed.occurred_at_text = '2025-05-30T13:00:00Z')
        """,
    )
    assert kept_and_listed[0][0] == 0
    # And a full refresh of the same data keeps the same deliveries
    full = tmp_path / "full" / fresh_copy.name
    full.parent.mkdir()
    shutil.copyfile(fresh_copy, full)
    assert build(full, full_refresh=True).full_refresh
    for table in DETERMINISTIC_MARTS:
        assert table_rows(fresh_copy, table) == table_rows(full, table), table


def test_late_event_scores_on_the_day_it_happened(fresh_copy: Path, build: Build) -> None:
    build(fresh_copy)
    (lead_id,) = query(fresh_copy, "select min(lead_id) from staging.stg_leads")[0]

    # A webinar attended on 2 March reaches the warehouse three months late
    execute(
        fresh_copy,
        """
        insert into raw.activities (event_id, lead_id, activity_type, occurred_at, loaded_at,
            asset, user_agent)
        values ('late-1', ?, 'webinar_attended', '2025-03-02T15:00:00Z',
            '2025-06-01T00:00:00Z', 'Spring Launch Webinar', 'Mozilla/5.0')
        """,
        [lead_id],
    )
    build(fresh_copy)

    rows = query(
        fresh_copy,
        "select activity_date, raw_points from marts.score_ledger "
        "where lead_id = ? and rule_id = 'act_webinar_attended' "
        "and activity_date = date '2025-03-02'",
        [lead_id],
    )
    assert len(rows) == 1
    assert rows[0][1] >= 25


def test_identify_brings_in_earlier_anonymous_visits(fresh_copy: Path, build: Build) -> None:
    build(fresh_copy)
    (lead_id,) = query(fresh_copy, "select min(lead_id) from staging.stg_leads")[0]
    execute(
        fresh_copy,
        """
        insert into raw.activities (event_id, visitor_id, activity_type, occurred_at, loaded_at,
            url, user_agent)
        values ('anon-1', 'visitor-test', 'page_view', '2025-05-20T10:00:00Z',
            '2025-06-01T00:00:01Z', 'https://www.example.com/pricing/enterprise', 'Mozilla/5.0')
        """,
    )
    build(fresh_copy)
    pricing_views = (
        "select coalesce(sum(events), 0) from intermediate.int_points_daily "
        "where lead_id = ? and activity_date = date '2025-05-20' and rule_id = 'page_pricing'"
    )
    (before,) = query(fresh_copy, pricing_views, [lead_id])[0]

    # Days later the visitor logs in and is linked to the lead
    execute(
        fresh_copy,
        """
        insert into raw.activities (event_id, lead_id, visitor_id, activity_type, occurred_at,
            loaded_at, user_agent)
        values ('identify-1', ?, 'visitor-test', 'identify', '2025-05-25T09:00:00Z',
            '2025-06-01T00:00:02Z', 'Mozilla/5.0')
        """,
        [lead_id],
    )
    build(fresh_copy)

    (after,) = query(fresh_copy, pricing_views, [lead_id])[0]
    assert after == before + 1


def test_earlier_identify_loaded_later_moves_the_visitor(
    fresh_copy: Path, tmp_path: Path, build: Build
) -> None:
    # Given an anonymous pricing visit that scored for lead A once the visitor logged in
    build(fresh_copy)
    first_lead, second_lead = query(
        fresh_copy, "select min(lead_id), max(lead_id) from staging.stg_leads"
    )[0]
    execute(
        fresh_copy,
        """
        insert into raw.activities (event_id, lead_id, visitor_id, activity_type, occurred_at,
            loaded_at, url, user_agent)
        values
            ('relink-view', null, 'visitor-relink', 'page_view', '2025-05-20T10:00:00Z',
             '2025-06-01T00:00:01Z', 'https://www.example.com/pricing/enterprise',
             'Mozilla/5.0'),
            ('relink-a', ?, 'visitor-relink', 'identify', '2025-05-25T09:00:00Z',
             '2025-06-01T00:00:01Z', null, 'Mozilla/5.0')
        """,
        [first_lead],
    )
    build(fresh_copy)
    visit_points = (
        "select lead_id, sum(events) from intermediate.int_points_daily "
        "where activity_date = date '2025-05-20' and rule_id = 'page_pricing' "
        "and lead_id in (?, ?) group by lead_id"
    )
    linked_to_first = dict(query(fresh_copy, visit_points, [first_lead, second_lead]))

    # When an identify event that happened earlier, as lead B, arrives in a later load
    execute(
        fresh_copy,
        """
        insert into raw.activities (event_id, lead_id, visitor_id, activity_type, occurred_at,
            loaded_at, user_agent)
        values ('relink-b', ?, 'visitor-relink', 'identify', '2025-05-21T09:00:00Z',
            '2025-06-01T00:00:02Z', 'Mozilla/5.0')
        """,
        [second_lead],
    )
    assert not build(fresh_copy).full_refresh

    # Then the visit moves from A to B, and every table equals a full rebuild
    linked_to_second = dict(query(fresh_copy, visit_points, [first_lead, second_lead]))
    assert linked_to_second.get(first_lead, 0) == linked_to_first[first_lead] - 1
    assert linked_to_second[second_lead] == linked_to_first.get(second_lead, 0) + 1
    full = tmp_path / "full" / fresh_copy.name
    full.parent.mkdir()
    shutil.copyfile(fresh_copy, full)
    assert build(full, full_refresh=True).full_refresh
    for table in (*DETERMINISTIC_MARTS, "intermediate.int_activity_points_decayed"):
        assert table_rows(fresh_copy, table) == table_rows(full, table), table


def test_full_refresh_in_slices_equals_one_query(
    fresh_copy: Path,
    sample_raw: Path,
    tmp_path: Path,
    build: Build,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the sample's events in two batches, the first built as a full refresh that
    # scores the leads in slices of about 2,000 events (the batch has about 6,300: four)
    monkeypatch.setenv("LEAD_SCORING_TARGET_PATH", str(tmp_path / "target"))
    cut_offs = split_activities(fresh_copy, (0.7,))
    release_batch(fresh_copy, cut_offs[0])
    sliced_vars = {"as_of_date": AS_OF, "full_refresh_slice_events": 2000}
    assert build(fresh_copy, dbt_vars=sliced_vars).full_refresh
    executed = tmp_path / "target/run/lead_scoring/models/intermediate/int_points_daily.sql"
    assert "int_points_daily__slices" in executed.read_text()
    assert not query(
        fresh_copy,
        "select table_name from information_schema.tables where table_name like '%slices'",
    )

    # When the rest arrives and an incremental build adds it to the sliced table
    release_batch(fresh_copy, None)
    assert not build(fresh_copy, dbt_vars=sliced_vars).full_refresh

    # Then every table equals a full refresh that scored all events in one query
    whole = tmp_path / "whole" / fresh_copy.name
    whole.parent.mkdir()
    shutil.copyfile(sample_raw, whole)
    one_query_vars = {"as_of_date": AS_OF, "full_refresh_slice_events": 0}
    assert build(whole, full_refresh=True, dbt_vars=one_query_vars).full_refresh
    for table in (*DETERMINISTIC_MARTS, "intermediate.int_activity_points_decayed"):
        assert table_rows(fresh_copy, table) == table_rows(whole, table), table


@pytest.mark.parametrize("slice_events", ["10M", -5, True, 2.5])
def test_slice_size_must_be_whole_number(fresh_copy: Path, build: Build, slice_events) -> None:
    with pytest.raises(RuntimeError, match="full_refresh_slice_events must be a whole number"):
        build(fresh_copy, dbt_vars={"as_of_date": AS_OF, "full_refresh_slice_events": slice_events})

    # Nothing was published
    assert not query(
        fresh_copy,
        "select table_name from information_schema.tables where table_schema = 'marts'",
    )


def _compiled_test_sql(name: str) -> str:
    # dbt writes the SQL each test ran under the target folder, also without manifest.json
    target = Path(os.environ.get("LEAD_SCORING_TARGET_PATH", paths.project_dir() / "target"))
    (compiled,) = (target / "compiled").rglob(f"{name}.sql")
    return compiled.read_text(encoding="utf-8")


def _models_run(result) -> set[str]:
    return {
        node.unique_id.split(".")[-1]
        for node in result.nodes
        if node.resource_type.lower().endswith("model")
    }


def test_new_activity_alone_keeps_the_profile_models(fresh_copy: Path, build: Build) -> None:
    cut_offs = split_activities(fresh_copy, (0.7,))
    release_batch(fresh_copy, cut_offs[0])
    first = build(fresh_copy)
    assert not first.profiles_reused
    assert set(PROFILE_MODELS) <= _models_run(first)

    release_batch(fresh_copy, None)
    second = build(fresh_copy)

    assert second.profiles_reused
    assert _models_run(second).isdisjoint(PROFILE_MODELS)
    # The rules did not change either, so their tables were not loaded again
    assert any("seed" in node.resource_type.lower() for node in first.nodes)
    assert not any("seed" in node.resource_type.lower() for node in second.nodes)
    assert "score_ledger" in _models_run(second)
    # Their data tests were left out with them; the ledger's still ran.
    tests_run = [node.unique_id for node in second.nodes if "test" in node.resource_type.lower()]
    assert not [test for test in tests_run if "lead_grades" in test]
    assert [test for test in tests_run if "score_ledger" in test]
    # So were the tests of the unchanged rule and lead tables' staging views
    first_tests = [node.unique_id for node in first.nodes if "test" in node.resource_type.lower()]
    assert [test for test in first_tests if "stg_rules__activity_rules" in test]
    assert [test for test in first_tests if "stg_leads" in test]
    assert not [test for test in tests_run if ".not_null_columns_stg_rules__" in test]
    assert not [test for test in tests_run if ".unique_stg_rules__" in test]
    assert not [test for test in tests_run if "assert_activity_rules_valid" in test]
    assert not [test for test in tests_run if "_stg_leads_lead_id." in test]
    # The ledger's uniqueness test read the recomputed leads alone
    unique_sql = _compiled_test_sql("unique_score_ledger_ledger_id")
    assert "int_affected_leads" in unique_sql


def test_activity_only_quarantine_equals_full_refresh(
    fresh_copy: Path, tmp_path: Path, build: Build
) -> None:
    cut_offs = split_activities(fresh_copy, (0.6,))
    release_batch(fresh_copy, cut_offs[0])
    build(fresh_copy)
    (kept_id,) = query(fresh_copy, "select min(event_id) from intermediate.int_activities")[0]

    # The rest of the events arrive with an importer's unreadable lines, an event of a
    # lead not known yet, an event of an unknown type and a re-delivery of a kept event
    release_batch(fresh_copy, None)
    execute(
        fresh_copy,
        """
        insert into raw.load_rejects values
            ('feed.csv', 7, 'activities', 'unterminated quote', '"e-9,L-1'),
            ('crm.csv', 3, 'leads', 'wrong number of fields', 'L-9;x')
        """,
    )
    execute(
        fresh_copy,
        """
        insert into raw.activities (event_id, lead_id, activity_type, occurred_at, loaded_at)
        values ('held-1', 'L-NOT-YET', 'page_view', '2025-05-31T10:00:00Z',
                '2025-06-01T00:00:00Z'),
            ('odd-1', 'L-NOT-YET', 'carrier_pigeon', '2025-05-31T10:00:00Z',
                '2025-06-01T00:00:00Z')
        """,
    )
    execute(
        fresh_copy,
        "insert into raw.activities by name select * exclude (loaded_at), "
        "'2025-06-01T00:00:00Z' as loaded_at from raw.activities where event_id = ?",
        [kept_id],
    )
    result = build(fresh_copy)
    assert result.profiles_reused

    # Then the quarantine lists what a full refresh of the same data lists
    full = tmp_path / "full" / fresh_copy.name
    full.parent.mkdir()
    shutil.copyfile(fresh_copy, full)
    assert build(full, full_refresh=True).full_refresh
    for table in ("marts.quarantine", "intermediate.int_activity_rejects"):
        assert table_rows(fresh_copy, table) == table_rows(full, table), table
    listed = query(
        fresh_copy,
        "select record_id, kind, reason from marts.quarantine "
        "where record_id in ('feed.csv:7', 'crm.csv:3', 'held-1', 'odd-1', ?) "
        "and (record_id != ? or loaded_at = timestamp '2025-06-01 00:00:00')",
        [kept_id, kept_id],
    )
    assert sorted(listed) == sorted(
        [
            ("crm.csv:3", "import", "wrong number of fields"),
            ("feed.csv:7", "import", "unterminated quote"),
            ("held-1", "held", "lead_id not found in leads (held until the lead arrives)"),
            (kept_id, "rejected", "duplicate event_id (re-delivery)"),
            ("odd-1", "rejected", "unknown activity_type"),
        ]
    )
    # The rejected leads the first build listed are still listed
    rejected_leads = query(
        fresh_copy,
        "select count(*) from marts.quarantine where source_table = 'leads' and kind = 'rejected'",
    )
    assert rejected_leads[0][0] > 0


# Each change reaches the lead profile models, so the next build must recompute them.
PROFILE_CHANGES = {
    "lead field": "update raw.leads set job_title = 'Chief Executive Officer' "
    "where lead_id = (select min(lead_id) from raw.leads)",
    "custom attribute": "update raw.lead_attributes "
    "set value = case when value = 'yes' then 'no' else 'yes' end "
    "where attribute = 'requested_demo' and lead_id = "
    "(select min(lead_id) from raw.lead_attributes where attribute = 'requested_demo')",
    "account field": "update raw.accounts set industry = 'Gaming' where account_id = "
    "(select min(account_id) from raw.leads where account_id in "
    "(select account_id from raw.accounts))",
    "new lead": "insert into raw.leads (lead_id, email, job_title, created_at, updated_at) "
    "values ('L-NEW-1', 'new.lead@example.org', 'Head of Growth', "
    "'2025-05-30T10:00:00Z', '2025-05-30T10:00:00Z')",
}


@pytest.mark.parametrize("change", sorted(PROFILE_CHANGES))
def test_changed_lead_data_rebuilds_the_profile_models(
    fresh_copy: Path, tmp_path: Path, build: Build, change: str
) -> None:
    build(fresh_copy)
    before = table_rows(fresh_copy, "staging.stg_lead_attributes")
    execute(fresh_copy, PROFILE_CHANGES[change])

    result = build(fresh_copy)

    assert not result.full_refresh
    assert not result.profiles_reused
    assert set(PROFILE_MODELS) <= _models_run(result)
    assert table_rows(fresh_copy, "staging.stg_lead_attributes") != before
    # And its tables equal those of a full refresh over the changed data
    full = tmp_path / "full" / fresh_copy.name
    full.parent.mkdir()
    shutil.copyfile(fresh_copy, full)
    build(full, full_refresh=True)
    for table in (
        *(f"intermediate.{name}" for name in PROFILE_MODELS[1:4]),
        *DETERMINISTIC_MARTS,
    ):
        assert table_rows(fresh_copy, table) == table_rows(full, table), table


def test_new_scoring_date_rebuilds_the_profile_models(
    fresh_copy: Path, tmp_path: Path, build: Build
) -> None:
    build(fresh_copy)
    assert build(fresh_copy).profiles_reused

    result = build(fresh_copy, dbt_vars={"as_of_date": "2025-06-02"})

    assert not result.full_refresh
    assert not result.profiles_reused
    assert set(PROFILE_MODELS) <= _models_run(result)
    assert query(
        fresh_copy, "select distinct activity_date from intermediate.int_property_points"
    ) == [(date(2025, 6, 2),)]
    # Every lead was rescored for the new date, as a full refresh for that date would
    full = tmp_path / "full" / fresh_copy.name
    full.parent.mkdir()
    shutil.copyfile(fresh_copy, full)
    build(full, full_refresh=True, dbt_vars={"as_of_date": "2025-06-02"})
    for table in DETERMINISTIC_MARTS:
        assert table_rows(fresh_copy, table) == table_rows(full, table), table


def test_conversions_alone_reach_the_lead_stages(
    fresh_copy: Path, tmp_path: Path, build: Build
) -> None:
    build(fresh_copy)
    # Given one lead that converts and one whose conversions are withdrawn, with no activity
    (converting,) = query(
        fresh_copy,
        "select min(lead_id) from marts.lead_qualification where not is_converted",
    )[0]
    (withdrawn,) = query(
        fresh_copy, "select min(lead_id) from marts.lead_qualification where is_converted"
    )[0]
    execute(
        fresh_copy,
        "insert into raw.conversions (lead_id, converted_at, conversion_type, amount) "
        f"values ('{converting}', '2025-05-31T09:00:00Z', 'opportunity', '1200')",
    )
    execute(fresh_copy, f"delete from raw.conversions where lead_id = '{withdrawn}'")

    # When the next build finds nothing else changed
    result = build(fresh_copy)
    assert result.profiles_reused

    # Then both leads show their new status, and the marts equal a full refresh
    converted = dict(
        query(
            fresh_copy,
            "select lead_id, is_converted from marts.lead_qualification where lead_id in (?, ?)",
            [converting, withdrawn],
        )
    )
    assert converted == {converting: True, withdrawn: False}
    full = tmp_path / "full" / fresh_copy.name
    full.parent.mkdir()
    shutil.copyfile(fresh_copy, full)
    build(full, full_refresh=True)
    for table in DETERMINISTIC_MARTS:
        assert table_rows(fresh_copy, table) == table_rows(full, table), table


def test_copied_warehouse_builds_incrementally(
    fresh_copy: Path, tmp_path: Path, build: Build
) -> None:
    # Views store the catalog name, which DuckDB takes from the file name, so a build of a
    # copied file must recreate them even when it keeps the profile tables.
    cut_offs = split_activities(fresh_copy, (0.7,))
    release_batch(fresh_copy, cut_offs[0])
    build(fresh_copy)
    copy = tmp_path / "copy" / "renamed_warehouse.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(fresh_copy, copy)
    release_batch(copy, None)

    result = build(copy)

    assert not result.full_refresh
    assert result.profiles_reused
