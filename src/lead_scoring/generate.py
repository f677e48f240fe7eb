"""Deterministic sample data for the raw source tables.

Accounts, leads, attributes and conversions are drawn in Python from one seeded random
generator. The activity stream is produced inside DuckDB from a per-lead plan. Every value
of an event comes from hash(seed, lead, slot, purpose), so the same seed gives the same
tables at any scale. Events stream into the warehouse in chunks and never pass through
Python, which keeps ten million of them within memory.

A hidden propensity (fit times engagement) drives both the activity of a lead and whether it
converts, so a rule set that rewards fit and engagement predicts the conversions.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from lead_scoring import bulk, warehouse
from lead_scoring.generate_catalog import (
    BOT_USER_AGENTS,
    COUNTRIES,
    DEPARTMENTS,
    EMAIL_ASSETS,
    FILE_ASSETS,
    FIRST_NAMES,
    FORM_ASSETS,
    HUMAN_USER_AGENTS,
    INDUSTRIES,
    JOB_TITLES,
    LAST_NAMES,
    LEAD_SOURCES,
    NAME_PARTS,
    NORMAL_PAGES,
    OWNERS,
    TECH_STACKS,
    TIMELINES,
    UNKNOWN_ACTIVITY_TYPES,
    UNPARSEABLE_TIMESTAMPS,
    WEBINAR_ASSETS,
)
from lead_scoring.generate_sql import ACTIVITY_SQL, MACRO_SQL

log = logging.getLogger(__name__)

DEFAULT_LEADS = 2_000
DEFAULT_EVENTS_PER_LEAD = 30
# Leads per account follow a geometric distribution with this mean.
MEAN_CONTACTS_PER_ACCOUNT = 4
# Events are inserted in chunks of whole leads of about this many rows, which bounds memory
# and gives progress reports.
CHUNK_EVENTS = 1_000_000
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Every slot group of a lead's stream is one visit, email or webinar of this many events.
SLOTS_PER_GROUP = 4
SECONDS_PER_DAY = 86_400
ACTIVITIES = f"{warehouse.RAW_SCHEMA}.activities"
NEW_ACTIVITIES = f"{warehouse.RAW_SCHEMA}.activities_generating"


@dataclass(frozen=True)
class DirtRates:
    """Share of rows that carry each defect that real feeds have.

    Event rates are fractions of all events, group rates fractions of visits or emails, lead
    rates fractions of leads. Every defect that has a rate above zero appears at least once.
    """

    duplicate_event: float = 0.004
    late_event: float = 0.01
    unknown_activity_type: float = 0.002
    missing_lead_id: float = 0.002
    unknown_lead_id: float = 0.002
    unparseable_timestamp: float = 0.0005
    future_timestamp: float = 0.0005
    bot_visit: float = 0.01
    email_scanner_click: float = 0.05
    anonymous_lead: float = 0.08
    duplicate_lead_row: float = 0.005
    missing_lead_row_id: float = 0.002


@dataclass(frozen=True)
class GeneratorConfig:
    """Size, seed and time frame of a sample data set."""

    leads: int = DEFAULT_LEADS
    # Rows of raw.activities; None means DEFAULT_EVENTS_PER_LEAD per lead.
    events: int | None = None
    seed: int = 42
    # Events end at midnight UTC that starts this date; None means today (UTC).
    reference_date: date | None = None
    days: int = 120
    dirt: DirtRates = field(default_factory=DirtRates)

    @property
    def event_count(self) -> int:
        return self.events if self.events is not None else self.leads * DEFAULT_EVENTS_PER_LEAD

    @property
    def reference(self) -> datetime:
        day = self.reference_date or datetime.now(UTC).date()
        return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass
class GenerationSummary:
    """Row counts per raw table and the time the generation took."""

    rows: dict[str, int]
    seconds: float


@dataclass
class Account:
    account_id: str
    name: str
    domain: str
    industry: str
    employee_count: int
    annual_revenue: int
    country: str


@dataclass
class LeadPlan:
    """One lead: its contract fields and the hidden values that drive its activity."""

    index: int
    lead_id: str
    account: Account
    email: str
    owner_email: str
    job_title: str
    department: str
    lead_source: str
    fit: float
    engagement: float
    attributes: dict[str, str]
    created_at: datetime
    updated_at: datetime
    start: datetime
    span_seconds: int
    user_agent: str
    job_seeker: bool
    anonymous_groups: int = 0
    events: int = 0
    event_offset: int = 0
    opportunity_at: datetime | None = None
    won_at: datetime | None = None
    lost_at: datetime | None = None
    amount: int = 0

    @property
    def intent(self) -> float:
        return math.sqrt(self.fit * self.engagement)


ProgressCallback = Callable[[int, int], None]


def generate(
    db_path: Path,
    config: GeneratorConfig | None = None,
    progress: ProgressCallback | None = None,
) -> GenerationSummary:
    """Replace the content of every raw table of the warehouse file with sample data."""
    config = config or GeneratorConfig()
    _validate(config)
    started = time.monotonic()
    # Sample data needs reproducibility, not unpredictability.
    rng = random.Random(config.seed)  # noqa: S311
    accounts = build_accounts(rng, config.leads)
    leads = build_leads(rng, accounts, config)
    allocate_events(rng, leads, config)
    log.info(
        "generating %s leads, %s accounts, %s events (seed %s)",
        f"{len(leads):,}",
        f"{len(accounts):,}",
        f"{config.event_count:,}",
        config.seed,
    )
    with contextlib.closing(warehouse.connect(db_path)) as con:
        warehouse.create_raw_tables(con)
        # Activities go to a new table outside any transaction, because DuckDB wrote a million
        # rows in 8 s that way against 14 s inside one (2 cores). A rename swaps it in.
        con.execute(f"create or replace table {NEW_ACTIVITIES} as from {ACTIVITIES} limit 0")
        try:
            activity_count = insert_activities(con, rng, leads, config, progress)
            con.execute("begin transaction")
            warehouse.truncate_raw_tables(con, warehouse.RAW_TABLES)
            rows = _write_small_tables(con, rng, accounts, leads, config)
            con.execute(f"drop table {ACTIVITIES}")
            con.execute(f"alter table {NEW_ACTIVITIES} rename to activities")
            con.execute("commit")
        finally:
            con.execute(f"drop table if exists {NEW_ACTIVITIES}")
        rows["activities"] = activity_count
    seconds = time.monotonic() - started
    log.info("generated %s activity rows in %.1f s", f"{rows['activities']:,}", seconds)
    return GenerationSummary(rows=rows, seconds=seconds)


def _validate(config: GeneratorConfig) -> None:
    if config.leads < 1:
        raise ValueError(f"leads must be at least 1, got {config.leads}")
    if config.event_count < 0:
        raise ValueError(f"events must not be negative, got {config.event_count}")
    if config.days < 7:
        raise ValueError(f"days must be at least 7, got {config.days}")


def _write_small_tables(
    con: duckdb.DuckDBPyConnection,
    rng: random.Random,
    accounts: list[Account],
    leads: list[LeadPlan],
    config: GeneratorConfig,
) -> dict[str, int]:
    raw = warehouse.RAW_SCHEMA
    columns = warehouse.RAW_TABLES
    rows = {
        "accounts": bulk.insert_csv(
            con, f"{raw}.accounts", columns["accounts"], account_rows(accounts)
        ),
        "leads": bulk.insert_csv(
            con, f"{raw}.leads", columns["leads"], lead_rows(rng, leads, config)
        ),
        "lead_attributes": bulk.insert_csv(
            con, f"{raw}.lead_attributes", columns["lead_attributes"], attribute_rows(leads)
        ),
        "conversions": bulk.insert_csv(
            con, f"{raw}.conversions", columns["conversions"], conversion_rows(leads)
        ),
    }
    rows["load_rejects"] = 0
    return rows


# Accounts and leads -----------------------------------------------------------------------


def build_accounts(rng: random.Random, lead_count: int) -> list[Account]:
    """Draw enough accounts for the leads, about MEAN_CONTACTS_PER_ACCOUNT leads each."""
    count = max(1, lead_count // MEAN_CONTACTS_PER_ACCOUNT)
    accounts = []
    for number in range(1, count + 1):
        first, second = rng.choice(NAME_PARTS[0]), rng.choice(NAME_PARTS[1])
        name = f"{first} {second}"
        # Numbered domains keep accounts with the same name apart.
        domain = f"{first}{second}{number}.example".lower()
        employees = max(2, int(rng.lognormvariate(5.0, 1.6)))
        revenue_per_employee = rng.uniform(80_000, 400_000)
        accounts.append(
            Account(
                account_id=f"A{number:07d}",
                name=name,
                domain=domain,
                industry=_weighted(rng, INDUSTRIES),
                employee_count=employees,
                annual_revenue=int(round(employees * revenue_per_employee, -3)),
                country=_weighted(rng, COUNTRIES),
            )
        )
    return accounts


def build_leads(
    rng: random.Random, accounts: list[Account], config: GeneratorConfig
) -> list[LeadPlan]:
    """Draw the leads: several contacts per account, each with a hidden fit and engagement."""
    leads = []
    for index in range(config.leads):
        # Skewed choice: some accounts collect many contacts, most only a few.
        account = accounts[min(len(accounts) - 1, int(len(accounts) * rng.random() ** 1.3))]
        leads.append(_build_lead(rng, index, account, config))
    _plan_conversions(rng, leads, config)
    return leads


def _build_lead(
    rng: random.Random, index: int, account: Account, config: GeneratorConfig
) -> LeadPlan:
    title, title_fit = _weighted_pair(rng, JOB_TITLES)
    fit = (
        0.45 * title_fit
        + 0.25 * _size_fit(account.employee_count)
        + 0.15 * INDUSTRIES[account.industry][1]
        + 0.15 * COUNTRIES[account.country][1]
    )
    engagement = min(1.0, 0.75 * rng.betavariate(1.3, 2.6) + 0.25 * fit * rng.random())
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    reference = config.reference
    recency_days = min(config.days - 6, 1 + rng.expovariate(1 / (2 + 45 * (1 - engagement))))
    span_days = 3 + rng.random() * (config.days - recency_days - 4) * (0.3 + 0.7 * engagement)
    start = reference - timedelta(days=recency_days + span_days)
    created_at = start - timedelta(days=rng.uniform(0, 20))
    updated_at = min(reference - timedelta(hours=1), start + timedelta(days=span_days))
    lead = LeadPlan(
        index=index,
        lead_id=f"L{index + 1:07d}",
        account=account,
        email=f"{first}.{last}{index + 1}@{account.domain}".lower(),
        owner_email=rng.choice(OWNERS),
        job_title=title,
        department=_department(rng, title),
        lead_source=_weighted(rng, LEAD_SOURCES),
        fit=fit,
        engagement=engagement,
        attributes={},
        created_at=created_at,
        updated_at=updated_at,
        start=start,
        span_seconds=int(span_days * SECONDS_PER_DAY),
        user_agent=rng.choice(HUMAN_USER_AGENTS),
        job_seeker=title in ("Student", "Intern", "Software Engineer") and rng.random() < 0.6,
    )
    lead.attributes = _attributes(rng, lead)
    if rng.random() < config.dirt.anonymous_lead:
        lead.anonymous_groups = rng.randint(1, 2)
    return lead


def _size_fit(employees: int) -> float:
    for limit, score in ((10, 0.1), (50, 0.3), (200, 0.6), (1_000, 0.9), (5_000, 1.0)):
        if employees < limit:
            return score
    return 0.8


def _department(rng: random.Random, title: str) -> str:
    for keyword, department in (("Marketing", "Marketing"), ("Sales", "Sales")):
        if keyword in title:
            return department
    if "Engineer" in title or "CTO" in title:
        return "Engineering"
    return rng.choice(DEPARTMENTS)


def _attributes(rng: random.Random, lead: LeadPlan) -> dict[str, str]:
    intent = lead.intent
    attributes = {
        "requested_demo": _yes_no(rng.random() < 0.03 + 0.5 * intent**1.5),
        "newsletter_opt_in": _yes_no(rng.random() < 0.3 + 0.3 * lead.engagement),
        "tech_stack": rng.choice(TECH_STACKS),
    }
    # Sales confirms a budget only for some leads, so the attribute is often missing.
    if rng.random() < 0.6:
        attributes["budget_confirmed"] = _yes_no(rng.random() < 0.1 + 0.6 * lead.fit * intent)
    if rng.random() < 0.7:
        position = int(rng.random() * len(TIMELINES) * (1.2 - intent))
        attributes["timeline"] = TIMELINES[min(len(TIMELINES) - 1, position)]
    return attributes


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _plan_conversions(rng: random.Random, leads: list[LeadPlan], config: GeneratorConfig) -> None:
    reference = config.reference
    for lead in leads:
        demo = lead.attributes["requested_demo"] == "yes"
        budget = lead.attributes.get("budget_confirmed") == "yes"
        logit = -7.5 + 4.5 * lead.fit + 5.0 * lead.engagement + 1.2 * demo + 0.6 * budget
        if rng.random() >= 1 / (1 + math.exp(-logit)):
            continue
        activity_end = lead.start + timedelta(seconds=lead.span_seconds)
        room = max(0.0, (reference - activity_end).total_seconds() - 3_600)
        lead.opportunity_at = activity_end + timedelta(seconds=rng.uniform(0, room * 0.8))
        lead.amount = int(round(lead.account.employee_count**0.5 * rng.uniform(800, 3_000), -2))
        closed_at = lead.opportunity_at + timedelta(days=rng.uniform(5, 45))
        if closed_at >= reference:
            continue
        if rng.random() < 0.3 + 0.4 * lead.fit:
            lead.won_at = closed_at
        elif rng.random() < 0.8:
            lead.lost_at = closed_at


def _weighted(rng: random.Random, options: dict[str, tuple[float, float]]) -> str:
    names = list(options)
    return rng.choices(names, weights=[options[name][0] for name in names])[0]


def _weighted_pair(
    rng: random.Random, options: dict[str, tuple[float, float]]
) -> tuple[str, float]:
    name = _weighted(rng, options)
    return name, options[name][1]


# Rows of the small tables -----------------------------------------------------------------


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def account_rows(accounts: list[Account]):
    for account in accounts:
        yield (
            account.account_id,
            account.name,
            account.domain,
            account.industry,
            account.employee_count,
            account.annual_revenue,
            account.country,
        )


def lead_rows(rng: random.Random, leads: list[LeadPlan], config: GeneratorConfig):
    """Yield one row per lead, plus stale duplicates and rows without a lead id."""
    for lead in leads:
        yield _lead_row(lead, lead.lead_id, lead.job_title, lead.updated_at)
    for lead in _sample(rng, leads, config.dirt.duplicate_lead_row):
        # An older version of the same lead that a CRM export delivered again.
        stale_title = rng.choice([title for title in JOB_TITLES if title != lead.job_title])
        stale_at = lead.created_at + (lead.updated_at - lead.created_at) / 3
        yield _lead_row(lead, lead.lead_id, stale_title, stale_at)
    for lead in _sample(rng, leads, config.dirt.missing_lead_row_id):
        yield _lead_row(lead, None, lead.job_title, lead.updated_at)


def _lead_row(lead: LeadPlan, lead_id: str | None, job_title: str, updated_at: datetime):
    account = lead.account
    return (
        lead_id,
        lead.email,
        account.account_id,
        lead.owner_email,
        job_title,
        lead.department,
        account.country,
        account.industry,
        account.employee_count,
        account.annual_revenue,
        lead.lead_source,
        _timestamp(lead.created_at),
        _timestamp(updated_at),
    )


def attribute_rows(leads: list[LeadPlan]):
    for lead in leads:
        for name, value in lead.attributes.items():
            yield (lead.lead_id, name, value)


def conversion_rows(leads: list[LeadPlan]):
    for lead in leads:
        if lead.opportunity_at is None:
            continue
        yield (lead.lead_id, _timestamp(lead.opportunity_at), "opportunity", lead.amount)
        if lead.won_at is not None:
            yield (lead.lead_id, _timestamp(lead.won_at), "won", lead.amount)


def _sample(rng: random.Random, items: list, rate: float) -> list:
    if rate <= 0 or not items:
        return []
    count = min(len(items), max(1, round(rate * len(items))))
    return rng.sample(items, count)


# Activities -------------------------------------------------------------------------------


def allocate_events(rng: random.Random, leads: list[LeadPlan], config: GeneratorConfig) -> None:
    """Split the requested event count over the leads in proportion to their engagement.

    Largest-remainder rounding makes the counts add up to exactly the requested total.
    """
    total = config.event_count
    weights = [0.03 + lead.engagement**1.5 * rng.uniform(0.5, 1.5) for lead in leads]
    scale = total / sum(weights)
    shares = [weight * scale for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(leads)), key=lambda i: (counts[i] - shares[i], leads[i].index))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    offset = 0
    for lead, count in zip(leads, counts, strict=True):
        lead.events = count
        lead.event_offset = offset
        offset += count


PLAN_COLUMNS = (
    "lead_idx",
    "lead_id",
    "visitor_id",
    "anonymous_groups",
    "n_events",
    "event_offset",
    "start_epoch",
    "span_seconds",
    "engagement",
    "intent",
    "job_seeker",
    "user_agent",
    "lead_source",
    "opportunity_epoch",
    "lost_epoch",
    "amount",
)
DIRT_KINDS = (
    "late_event",
    "unknown_activity_type",
    "missing_lead_id",
    "unknown_lead_id",
    "unparseable_timestamp",
    "future_timestamp",
)


def insert_activities(
    con: duckdb.DuckDBPyConnection,
    rng: random.Random,
    leads: list[LeadPlan],
    config: GeneratorConfig,
    progress: ProgressCallback | None = None,
) -> int:
    """Fill NEW_ACTIVITIES inside DuckDB, one chunk of whole leads at a time."""
    total = config.event_count
    with tempfile.TemporaryDirectory(prefix="lead_scoring_generate_") as folder:
        plan_csv = Path(folder) / "plan.csv"
        dirt_csv = Path(folder) / "dirt.csv"
        bulk.write_csv(plan_csv, PLAN_COLUMNS, _plan_rows(leads, config))
        bulk.write_csv(dirt_csv, ("event_no", "kind"), _dirt_rows(rng, total, config.dirt))
        _load_plan(con, plan_csv, dirt_csv)
    con.execute(MACRO_SQL.format(seed=int(config.seed)))
    sql = ACTIVITY_SQL.format(
        table=NEW_ACTIVITIES,
        seed=int(config.seed),
        reference_epoch=int(config.reference.timestamp()),
        duplicate_rate=float(config.dirt.duplicate_event),
        bot_rate=float(config.dirt.bot_visit),
        scanner_rate=float(config.dirt.email_scanner_click),
        slots=SLOTS_PER_GROUP,
        **_sql_lists(),
    )
    inserted = 0
    for first, last, size in _chunks(leads):
        con.execute(sql, [first, last])
        inserted += size
        log.info("activities: %s of %s rows", f"{inserted:,}", f"{total:,}")
        if progress is not None:
            progress(inserted, total)
    con.execute("drop table if exists generator_plan")
    con.execute("drop table if exists generator_dirt")
    return inserted


def _load_plan(con: duckdb.DuckDBPyConnection, plan_csv: Path, dirt_csv: Path) -> None:
    con.execute(
        f"""
        create or replace temp table generator_plan as
        select
            lead_idx::integer as lead_idx, lead_id, visitor_id,
            anonymous_groups::integer as anonymous_groups,
            n_events::integer as n_events, event_offset::bigint as event_offset,
            start_epoch::bigint as start_epoch, span_seconds::bigint as span_seconds,
            engagement::double as engagement, intent::double as intent,
            job_seeker::boolean as job_seeker, user_agent, lead_source,
            opportunity_epoch::bigint as opportunity_epoch, lost_epoch::bigint as lost_epoch,
            amount::bigint as amount
        from {bulk.read_csv_sql(plan_csv, PLAN_COLUMNS)}
        """
    )
    con.execute(
        f"""
        create or replace temp table generator_dirt as
        select event_no::bigint as event_no, kind
        from {bulk.read_csv_sql(dirt_csv, ("event_no", "kind"))}
        """
    )


def _plan_rows(leads: list[LeadPlan], config: GeneratorConfig):
    for lead in leads:
        yield (
            lead.index,
            lead.lead_id,
            f"V{lead.index + 1:08d}" if lead.anonymous_groups else None,
            lead.anonymous_groups,
            lead.events,
            lead.event_offset,
            int(lead.start.timestamp()),
            lead.span_seconds,
            round(lead.engagement, 6),
            round(lead.intent, 6),
            lead.job_seeker,
            lead.user_agent,
            lead.lead_source,
            _epoch(lead.opportunity_at),
            _epoch(lead.lost_at),
            lead.amount,
        )


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _dirt_rows(rng: random.Random, total: int, rates: DirtRates):
    """Pick disjoint sets of event numbers for each per-event defect."""
    counts = {kind: _dirt_count(total, getattr(rates, kind)) for kind in DIRT_KINDS}
    wanted = min(total, sum(counts.values()))
    chosen = rng.sample(range(total), wanted) if wanted else []
    position = 0
    for kind in DIRT_KINDS:
        for event_no in chosen[position : position + counts[kind]]:
            yield (event_no, kind)
        position += counts[kind]


def _dirt_count(total: int, rate: float) -> int:
    if rate <= 0 or total == 0:
        return 0
    return max(1, round(rate * total))


def _chunks(leads: list[LeadPlan]):
    """Yield (first lead index, last lead index, events) ranges of about CHUNK_EVENTS events."""
    first = 0
    size = 0
    for lead in leads:
        size += lead.events
        if size >= CHUNK_EVENTS:
            yield first, lead.index, size
            first, size = lead.index + 1, 0
    if first < len(leads):
        yield first, len(leads) - 1, size


def _sql_lists() -> dict[str, str]:
    return {
        "normal_pages": _sql_list(NORMAL_PAGES),
        "email_assets": _sql_list(EMAIL_ASSETS),
        "form_assets": _sql_list(FORM_ASSETS),
        "file_assets": _sql_list(FILE_ASSETS),
        "webinar_assets": _sql_list(WEBINAR_ASSETS),
        "bot_user_agents": _sql_list(BOT_USER_AGENTS),
        "unknown_types": _sql_list(UNKNOWN_ACTIVITY_TYPES),
        "bad_timestamps": _sql_list(UNPARSEABLE_TIMESTAMPS),
    }


def _sql_list(values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"[{quoted}]"
