"""Sample data generator: reproducibility, size, contract columns and the defects it plants."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from lead_scoring import warehouse
from lead_scoring.generate import GeneratorConfig, generate

TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"
BOT_PATTERN = "(Googlebot|HeadlessChrome|python-requests|bingbot|curl)"


def _query(db_path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(duckdb.connect(str(db_path), read_only=True)) as con:
        return con.execute(sql).fetchall()


def _scalar(db_path: Path, sql: str):
    return _query(db_path, sql)[0][0]


def _table_rows(db_path: Path, table: str) -> list[tuple]:
    return _query(db_path, f"select * from raw.{table} order by all")


def test_same_seed_gives_identical_tables(tmp_path: Path, small_config: GeneratorConfig):
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    generate(first, small_config)
    generate(second, small_config)
    for table in warehouse.RAW_TABLES:
        assert _table_rows(first, table) == _table_rows(second, table), table


def test_other_seed_gives_other_data(tmp_path: Path, small_config: GeneratorConfig):
    other = tmp_path / "other.duckdb"
    generate(other, dataclasses.replace(small_config, seed=8))
    baseline = tmp_path / "baseline.duckdb"
    generate(baseline, small_config)
    assert _table_rows(other, "activities") != _table_rows(baseline, "activities")
    assert _table_rows(other, "leads") != _table_rows(baseline, "leads")


def test_generate_replaces_previous_content(tmp_path: Path, small_config: GeneratorConfig):
    db_path = tmp_path / "twice.duckdb"
    generate(db_path, small_config)
    summary = generate(db_path, small_config)
    assert _scalar(db_path, "select count(*) from raw.activities") == summary.rows["activities"]
    assert _scalar(db_path, "select count(*) from raw.leads") == summary.rows["leads"]
    tables = _query(db_path, "select table_name from information_schema.tables")
    assert sorted(name for (name,) in tables) == sorted(warehouse.RAW_TABLES)


@pytest.mark.parametrize(("leads", "events"), [(50, 1_000), (120, 7_777), (10, 0)])
def test_scale_parameters_set_row_counts(tmp_path: Path, leads: int, events: int):
    db_path = tmp_path / "scaled.duckdb"
    config = GeneratorConfig(leads=leads, events=events, seed=3)
    summary = generate(db_path, config)
    assert summary.rows["activities"] == events
    assert _scalar(db_path, "select count(*) from raw.activities") == events
    assert _scalar(db_path, "select count(distinct lead_id) from raw.leads") == leads


def test_default_events_per_lead(tmp_path: Path):
    db_path = tmp_path / "default_events.duckdb"
    summary = generate(db_path, GeneratorConfig(leads=40, seed=1))
    assert summary.rows["activities"] == 40 * 30


def test_columns_match_contract(generated_db: Path):
    for table, columns in warehouse.RAW_TABLES.items():
        found = _query(
            generated_db,
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = 'raw' and table_name = '{table}' order by ordinal_position",
        )
        assert [name for name, _ in found] == list(columns), table
        assert {data_type for _, data_type in found} == {"VARCHAR"}, table


def test_accounts_have_several_contacts(generated_db: Path):
    (most,) = _query(
        generated_db,
        "select max(contacts) from (select count(distinct lead_id) as contacts "
        "from raw.leads group by account_id)",
    )[0]
    assert most >= 3
    orphans = _scalar(
        generated_db,
        "select count(*) from raw.leads where account_id not in "
        "(select account_id from raw.accounts)",
    )
    assert orphans == 0


def test_activity_types_cover_stream(generated_db: Path):
    expected = {
        "page_view",
        "session",
        "email_open",
        "email_click",
        "email_delivered",
        "form_submission",
        "form_error",
        "file_download",
        "webinar_registered",
        "webinar_attended",
        "chat",
        "unsubscribe",
        "opportunity_created",
        "opportunity_lost",
        "identify",
    }
    found = {
        kind
        for (kind,) in _query(generated_db, "select distinct activity_type from raw.activities")
    }
    assert expected <= found


def test_attributes_present(generated_db: Path):
    found = {
        name
        for (name,) in _query(generated_db, "select distinct attribute from raw.lead_attributes")
    }
    assert {"requested_demo", "budget_confirmed", "tech_stack", "newsletter_opt_in"} <= found


def test_sessions_carry_duration(generated_db: Path):
    missing = _scalar(
        generated_db,
        "select count(*) from raw.activities "
        "where activity_type = 'session' and try_cast(duration_seconds as integer) is null",
    )
    assert missing == 0
    elsewhere = _scalar(
        generated_db,
        "select count(*) from raw.activities "
        "where activity_type in ('page_view', 'email_open', 'form_submission', 'chat') "
        "and duration_seconds is not null",
    )
    assert elsewhere == 0


def test_urls_include_pricing_careers_and_quirks(generated_db: Path):
    urls = [url for (url,) in _query(generated_db, "select distinct url from raw.activities")]
    urls = [url for url in urls if url]
    assert all(
        url.lower().startswith(("https://www.example.com", "http://www.example.com"))
        for url in urls
    )
    assert any("/pricing/enterprise" in url for url in urls)
    assert any("/careers/jobs/" in url for url in urls)
    assert any("?" in url for url in urls)
    assert any("WWW.EXAMPLE.COM" in url or "Example.com" in url for url in urls)


def test_timestamps_within_window(generated_db: Path, small_config: GeneratorConfig):
    reference = small_config.reference.replace(tzinfo=None)
    rows = _query(
        generated_db,
        f"select min(ts), max(ts) from (select try_strptime(occurred_at, '{TIMESTAMP}') as ts "
        f"from raw.activities) where ts < '{reference.isoformat()}'",
    )
    earliest, latest = rows[0]
    assert earliest >= reference - timedelta(days=small_config.days)
    assert latest < reference


def test_loaded_at_follows_occurred_at(generated_db: Path, small_config: GeneratorConfig):
    # Events stamped in the future are the exception: they arrive before they "happened".
    reference = small_config.reference.replace(tzinfo=None).isoformat()
    earlier = _scalar(
        generated_db,
        f"select count(*) from raw.activities "
        f"where strptime(loaded_at, '{TIMESTAMP}') < try_strptime(occurred_at, '{TIMESTAMP}') "
        f"and try_strptime(occurred_at, '{TIMESTAMP}') < '{reference}'",
    )
    assert earlier == 0


def test_conversions_follow_fit(generated_db: Path):
    rates = dict(
        _query(
            generated_db,
            """
            select
                case when job_title in ('Student', 'Intern') then 'low' else 'other' end,
                avg(case when lead_id in (select lead_id from raw.conversions) then 1 else 0 end)
            from raw.leads
            where lead_id is not null
            group by 1
            """,
        )
    )
    assert rates["other"] > 2 * rates["low"]
    types = {
        kind
        for (kind,) in _query(generated_db, "select distinct conversion_type from raw.conversions")
    }
    assert types == {"opportunity", "won"}


def test_conversions_follow_engagement(generated_db: Path):
    rates = dict(
        _query(
            generated_db,
            """
            with pricing as (
                select distinct lead_id from raw.activities
                where url ilike '%/pricing%' and lead_id is not null
            )
            select
                lead_id in (select lead_id from pricing) as saw_pricing,
                avg(case when lead_id in (select lead_id from raw.conversions) then 1 else 0 end)
            from raw.leads
            where lead_id is not null
            group by 1
            """,
        )
    )
    assert rates[True] > 1.5 * rates[False]


# Defects ----------------------------------------------------------------------------------


def test_duplicate_event_ids_are_exact_copies(generated_db: Path):
    duplicated = _scalar(
        generated_db,
        "select count(*) from (select event_id from raw.activities group by event_id "
        "having count(*) > 1)",
    )
    assert duplicated > 0
    differing = _scalar(
        generated_db,
        "select count(*) from (select event_id from raw.activities group by event_id "
        "having count(distinct raw.activities::varchar) > 1)",
    )
    assert differing == 0


def test_late_events_present(generated_db: Path):
    late = _scalar(
        generated_db,
        f"select count(*) from raw.activities where strptime(loaded_at, '{TIMESTAMP}') "
        f"- try_strptime(occurred_at, '{TIMESTAMP}') > interval 1 day",
    )
    assert late > 0


def test_unknown_activity_types_present(generated_db: Path):
    known = (
        "'page_view','session','email_open','email_click','email_delivered','form_submission',"
        "'form_error','file_download','webinar_registered','webinar_attended','chat',"
        "'unsubscribe','opportunity_created','opportunity_lost','identify'"
    )
    unknown = _scalar(
        generated_db, f"select count(*) from raw.activities where activity_type not in ({known})"
    )
    assert unknown > 0


def test_events_without_any_id_present(generated_db: Path):
    orphans = _scalar(
        generated_db,
        "select count(*) from raw.activities where lead_id is null and visitor_id is null",
    )
    assert orphans > 0


def test_anonymous_visitors_identified_later(generated_db: Path):
    anonymous = _query(
        generated_db,
        f"""
        select visitor_id, min(strptime(occurred_at, '{TIMESTAMP}')) as first_seen
        from raw.activities
        where lead_id is null and visitor_id is not null
        group by visitor_id
        """,
    )
    assert anonymous
    identified = dict(
        _query(
            generated_db,
            f"""
            select visitor_id, min(strptime(occurred_at, '{TIMESTAMP}'))
            from raw.activities
            where activity_type = 'identify' and lead_id is not null and visitor_id is not null
            group by visitor_id
            """,
        )
    )
    linked = [
        visitor
        for visitor, first_seen in anonymous
        if identified.get(visitor, datetime.min) > first_seen
    ]
    assert len(linked) >= 0.8 * len(anonymous)


def test_bot_user_agents_present(generated_db: Path):
    bots = _scalar(
        generated_db,
        f"select count(*) from raw.activities where regexp_matches(user_agent, '{BOT_PATTERN}')",
    )
    assert bots > 0


def test_link_scanner_clicks_present(generated_db: Path):
    scanner_clicks = _scalar(
        generated_db,
        f"""
        select count(*)
        from raw.activities as delivered
        join raw.activities as click
            on click.lead_id = delivered.lead_id and click.asset = delivered.asset
        where delivered.activity_type = 'email_delivered'
            and click.activity_type = 'email_click'
            and try_strptime(click.occurred_at, '{TIMESTAMP}')
                between try_strptime(delivered.occurred_at, '{TIMESTAMP}')
                and try_strptime(delivered.occurred_at, '{TIMESTAMP}') + interval 2 second
        """,
    )
    assert scanner_clicks > 0


def test_bad_and_future_timestamps_present(generated_db: Path, small_config: GeneratorConfig):
    unparseable = _scalar(
        generated_db,
        f"select count(*) from raw.activities "
        f"where try_strptime(occurred_at, '{TIMESTAMP}') is null",
    )
    assert unparseable > 0
    reference = small_config.reference.replace(tzinfo=None).isoformat()
    future = _scalar(
        generated_db,
        f"select count(*) from raw.activities "
        f"where try_strptime(occurred_at, '{TIMESTAMP}') >= '{reference}'",
    )
    assert future > 0


def test_events_for_unknown_leads_present(generated_db: Path):
    unknown = _scalar(
        generated_db,
        "select count(*) from raw.activities where lead_id is not null "
        "and lead_id not in (select lead_id from raw.leads where lead_id is not null)",
    )
    assert unknown > 0


def test_bad_lead_rows_present(generated_db: Path):
    missing_id = _scalar(generated_db, "select count(*) from raw.leads where lead_id is null")
    assert missing_id > 0
    stale = _query(
        generated_db,
        "select count(distinct updated_at), count(distinct job_title) from raw.leads "
        "where lead_id in (select lead_id from raw.leads group by lead_id having count(*) > 1) "
        "group by lead_id",
    )
    assert stale
    assert all(versions == 2 and titles == 2 for versions, titles in stale)


def test_invalid_size_rejected(tmp_path: Path):
    with pytest.raises(ValueError, match="leads must be at least 1"):
        generate(tmp_path / "none.duckdb", GeneratorConfig(leads=0))
