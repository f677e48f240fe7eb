"""Run the dbt project in process, with the rule-set fingerprint that makes rule changes
retroactive."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

from lead_scoring import paths, rule_files, warehouse

log = logging.getLogger(__name__)

RULE_FILES = (
    "activity_rules.csv",
    "page_rules.csv",
    "metric_rules.csv",
    "property_rules.csv",
    "score_limits.csv",
    "decay_rules.csv",
    "grading_profiles.csv",
    "grading_profile_assignments.csv",
    "grading_criteria.csv",
    "qualification_stages.csv",
    "account_stages.csv",
)
REFERENCE_FILES = ("activity_types.csv", "bot_user_agents.csv")
META_SCHEMA = "meta"
# dbt generic tests that validate rule tables store their failing rows in this schema, one
# table per test, each with rule_id and problem columns.
RULE_FAILURE_SCHEMA = "rule_test_failures"


# A rule table with a shifted column can fail on every row, and the first lines show the cause.
_LISTED_PROBLEMS = 20


class RuleSetError(ValueError):
    """A rules folder is missing a table or a rule table failed validation."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class BuildLockedError(RuntimeError):
    """Another build of the same warehouse file is running."""


@contextlib.contextmanager
def build_lock(db_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the warehouse file for the length of a build.

    The lock is an flock on a file beside the warehouse, so the kernel releases it when the
    holder dies, however it dies, and a killed build never blocks the next one.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".lock")
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BuildLockedError(
                f"another build of {db_path} is running; wait for it to finish"
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale_work_files(db_path: Path) -> None:
    # Only called under the build lock: a work file left behind belongs to a dead build.
    for stale in db_path.parent.glob(f"{db_path.stem}.building{db_path.suffix}*"):
        log.warning("removing %s left behind by an interrupted build", stale.name)
        stale.unlink(missing_ok=True)


@dataclass
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    message: str | None
    seconds: float


@dataclass
class BuildResult:
    success: bool
    run_id: str
    full_refresh: bool
    rules_changed: bool
    seconds: float
    code_changed: bool = False
    nodes: list[NodeResult] = field(default_factory=list)
    # True when the lead profile models kept their tables: no lead, attribute, account,
    # rule or scoring date changed since the last successful build.
    profiles_reused: bool = False
    # Raw activity rows at or behind the load-time watermark that were never processed
    # (positive), or processed rows no longer in raw.activities (negative). Either forced a
    # full refresh.
    rows_behind_watermark: int = 0
    rule_problems: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[NodeResult]:
        return [node for node in self.nodes if node.status in ("error", "fail")]


def check_rules_dir(rules_dir: Path) -> None:
    """Raise RuleSetError unless the folder contains every rule table, each valid for its types."""
    if not rules_dir.is_dir():
        raise RuleSetError(f"rules folder not found: {rules_dir}")
    missing = [name for name in RULE_FILES if not (rules_dir / name).is_file()]
    if missing:
        raise RuleSetError(
            f"rules folder {rules_dir} lacks {', '.join(missing)}; copy the missing tables "
            f"from {paths.default_rules_dir()} (a table may hold only its header row)"
        )
    found = rule_files.problems(rules_dir, RULE_FILES)
    if found:
        more = len(found) - _LISTED_PROBLEMS
        raise RuleSetError(
            f"rule tables in {rules_dir} have {len(found)} problem(s)",
            found[:_LISTED_PROBLEMS] + ([f"and {more} more"] if more > 0 else []),
        )


def rules_fingerprint(rules_dir: Path) -> str:
    """Hash the content of the rule and reference tables.

    Rows are parsed and sorted first, so reordering rows or changing quoting and line endings
    in a spreadsheet does not count as a rule change. Any changed value does.
    """
    digest = hashlib.sha256()
    reference_dir = paths.project_dir() / "seeds" / "reference"
    sources = [rules_dir / name for name in RULE_FILES]
    sources += [reference_dir / name for name in REFERENCE_FILES]
    for path in sources:
        # utf-8-sig drops the byte-order mark that spreadsheets add when saving UTF-8.
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [
                tuple(cell.strip() for cell in row)
                for row in csv.reader(handle)
                if any(cell.strip() for cell in row)
            ]
        header, body = (rows[0], sorted(rows[1:])) if rows else ((), [])
        digest.update(path.name.encode())
        digest.update(repr((header, body)).encode())
    return digest.hexdigest()


def code_fingerprint() -> str:
    """Hash the SQL of the dbt project: its models, macros and project file.

    A new version of the scoring code can change what the incremental tables hold, or
    their columns, so the first build after it rebuilds everything.
    """
    digest = hashlib.sha256()
    project = paths.project_dir()
    sources = [project / "dbt_project.yml"]
    for folder in ("models", "macros"):
        sources += sorted((project / folder).rglob("*.sql"))
    for path in sources:
        digest.update(path.relative_to(project).as_posix().encode())
        digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()


_RUN_LOG_COLUMNS = (
    "run_id, started_at, finished_at, rules_dir, rules_fingerprint, full_refresh, status, "
    "code_fingerprint, profile_fingerprint, as_of_date, selection"
)

# Models computed from the leads' own data (raw.leads, raw.lead_attributes, raw.accounts),
# the rule tables and the scoring date alone: no activity reaches them. When none of these
# inputs changed since the last successful build, the build keeps their tables as they are.
# The staging views over raw.leads and raw.accounts are recreated all the same: a view
# stores the catalog name of the file it was created in, so a view kept from a copied or
# renamed warehouse file would fail to bind.
PROFILE_MODELS = (
    "stg_lead_attributes",
    "int_property_points",
    "int_lead_profiles",
    "int_lead_criteria",
    "lead_grades",
)
PROFILE_SOURCES = ("leads", "lead_attributes", "accounts")
# The data tests of the staging views over PROFILE_SOURCES, and those of the rule tables'
# staging views. The views themselves are recreated on every build, since a view names
# the database file it was created in.
PROFILE_INPUT_TESTS = "tag:profile_input"
RULE_INPUT_TESTS = "tag:rule_input"


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    """Create the run log that stores each build's rule fingerprint and outcome."""
    con.execute(f"create schema if not exists {META_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {META_SCHEMA}.run_log (
            run_id varchar primary key,
            started_at timestamp,
            finished_at timestamp,
            rules_dir varchar,
            rules_fingerprint varchar,
            full_refresh boolean,
            status varchar
        )
        """
    )
    for column in (
        "code_fingerprint",
        "profile_fingerprint",
        "as_of_date",
        "selection",
        "rule_tables_fingerprint",
    ):
        con.execute(f"alter table {META_SCHEMA}.run_log add column if not exists {column} varchar")


def profile_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Hash the content of the raw tables that describe leads and accounts.

    The sum of row hashes does not depend on row order, and a repeated row counts twice, so
    any added, removed or changed row changes the result (barring a 64-bit hash collision).
    """
    parts = []
    for table in PROFILE_SOURCES:
        count, total = con.execute(
            f"select count(*), sum(hash(source_rows)::hugeint) from raw.{table} as source_rows"
        ).fetchone()
        parts.append(f"{table}:{count}:{total or 0}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def rule_tables_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Hash the rule tables as loaded in the warehouse, so that an edit in place is noticed."""
    parts = []
    for name in sorted(Path(file).stem for file in (*RULE_FILES, *REFERENCE_FILES)):
        try:
            count, total = con.execute(
                f"select count(*), sum(hash(rule_rows)::hugeint) from rules.{name} as rule_rows"
            ).fetchone()
        except duckdb.CatalogException:
            count, total = None, None
        parts.append(f"{name}:{count}:{total or 0}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def resolved_as_of(dbt_vars: dict[str, object] | None) -> str:
    """Return the scoring date a build uses: the as_of_date variable, else today (UTC).

    NOTE: without the variable, each model takes today's date when it runs, so a build
    that spans midnight (UTC) mixes two dates. Profile tables kept by that build carry
    the start date, and the next build recomputes them for the new date.
    """
    chosen = (dbt_vars or {}).get("as_of_date")
    return str(chosen) if chosen else _utc_now().date().isoformat()


# The SQL of the duckdb__parse_timestamp macro, which types loaded_at in the models.
_ONE_PARSE = (
    "coalesce(make_timestamp(epoch_us(try_cast(raw_rows.loaded_at as timestamptz))),"
    " make_timestamp(epoch_us("
    "try_cast(nullif(trim(cast(raw_rows.loaded_at as varchar)), '') as timestamptz))),"
    " try_cast(nullif(trim(cast(raw_rows.loaded_at as varchar)), '') as timestamp))"
)
_PARSED_LOADED_AT = (
    f"case when regexp_matches(raw_rows.loaded_at, '[A-Za-z]{{2}}') then {_ONE_PARSE}"
    f" else {_ONE_PARSE} end"
)
# The SQL of duckdb__may_parse_at_or_after and duckdb__is_unparseable_timestamp. A text
# that starts with a date more than a week before the watermark is behind it if it is
# readable at all, so it needs only that cheaper check, not a parse.
_MAY_BE_AFTER = (
    "(raw_rows.loaded_at is null or raw_rows.loaded_at >= watermark.text_bound"
    " or not (raw_rows.loaded_at glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'))"
)
_UNPARSEABLE = (
    "coalesce(try_cast(raw_rows.loaded_at as timestamptz),"
    " try_cast(nullif(trim(cast(raw_rows.loaded_at as varchar)), '') as timestamptz),"
    " try_cast(nullif(trim(cast(raw_rows.loaded_at as varchar)), '') as timestamp)) is null"
)


def rows_behind_watermark(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> int:
    """Count raw activity rows that incremental selection by loaded_at would get wrong.

    Incremental runs read raw rows loaded at or after the newest loaded_at already
    processed, and every raw row up to that instant must already be kept or rejected. A
    surplus row arrived with a loaded_at from the past (a replayed file, a source with a
    slow clock) or from the same instant as the last batch, where it may be the delivery a
    full rebuild keeps. A deficit (a negative count) means processed rows left
    raw.activities, as when its content is replaced. Rows whose loaded_at does not parse
    are left out, because every run rechecks them. As in the load_watermark macro, kept
    rows stamped beyond the clock-skew tolerance of now (UTC) do not move the watermark.

    NOTE: the result is one net count, so a processed row that left raw.activities and a
    late row that arrived between two builds cancel out, and neither forces the rebuild.
    """
    tables = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'intermediate' "
            "and table_name in ('int_activities', 'int_activity_rejects')"
        ).fetchall()
    }
    if len(tables) < 2:
        return 0
    # As in the dbt profile: a time without a zone is UTC.
    con.execute("set TimeZone = 'UTC'")
    row = con.execute(
        f"""
        with newest as (
            select max(loaded_at) as loaded_at from intermediate.int_activities
            where loaded_at <= ?
        ),
        watermark as (
            select loaded_at, strftime(cast(loaded_at as date) - 7, '%Y-%m-%d') as text_bound
            from newest
        )
        select
            (select count(*) from raw.activities as raw_rows, watermark
             where case when {_MAY_BE_AFTER}
                 then {_PARSED_LOADED_AT} <= watermark.loaded_at
                 else not {_UNPARSEABLE} end)
            - (select count(*) from intermediate.int_activities as kept, watermark
               where kept.loaded_at <= watermark.loaded_at)
            - (select count(*) from intermediate.int_activity_rejects as rejected, watermark
               where rejected.loaded_at <= watermark.loaded_at)
        """,
        [(now or _utc_now()) + timedelta(minutes=_clock_skew_tolerance_minutes())],
    ).fetchone()
    return int(row[0] or 0) if row else 0


def _clock_skew_tolerance_minutes() -> int:
    project_file = paths.project_dir() / "dbt_project.yml"
    config = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    return int(config["vars"]["clock_skew_tolerance_minutes"])


def last_successful_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    return _last_successful_run(con).rules


@dataclass
class _PreviousRun:
    rules: str | None = None
    code: str | None = None
    profile: str | None = None
    as_of: str | None = None
    # The --select of the run, if any: such a run rebuilt only part of the warehouse.
    selection: str | None = None
    rule_tables: str | None = None


def _last_successful_run(con: duckdb.DuckDBPyConnection) -> _PreviousRun:
    """Return the fingerprints and scoring date of the last successful build."""
    row = con.execute(
        f"""
        select
            rules_fingerprint,
            code_fingerprint,
            profile_fingerprint,
            as_of_date,
            selection,
            rule_tables_fingerprint
        from {META_SCHEMA}.run_log
        where status = 'success'
        order by finished_at desc
        limit 1
        """
    ).fetchone()
    return _PreviousRun(*row) if row else _PreviousRun()


def _profile_tables_exist(con: duckdb.DuckDBPyConnection) -> bool:
    (found,) = con.execute(
        "select count(*) from information_schema.tables where table_name in "
        f"({', '.join('?' for _ in PROFILE_MODELS)})",
        list(PROFILE_MODELS),
    ).fetchone()
    return found == len(PROFILE_MODELS)


def last_rules_dir(db_path: Path) -> Path | None:
    """Return the rules folder of the file's last successful build, if it can be read."""
    if not db_path.exists():
        return None
    try:
        with contextlib.closing(duckdb.connect(str(db_path), read_only=True)) as con:
            row = con.execute(
                f"select rules_dir from {META_SCHEMA}.run_log where status = 'success' "
                "order by finished_at desc limit 1"
            ).fetchone()
    except duckdb.Error:
        # No run log yet, or a running build has the file open, which the build reports itself.
        return None
    return Path(row[0]) if row and row[0] else None


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the length of a block, then restore the old values."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, previous in saved.items():
            if previous is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = previous


def invoke_dbt(
    args: Sequence[str],
    db_path: Path,
    rules_dir: Path | None = None,
    rescore: str = "all",
):
    """Run one dbt command in process against the warehouse file and return dbt's result.

    `rescore` is "changed" when the lead-level tables may recompute only the leads with
    new activity (macros/incremental_scope.sql), "all" otherwise.
    """
    # Imported here so that commands which never run dbt start fast.
    from dbt.cli.main import dbtRunner

    project = paths.project_dir()
    env = {
        "LEAD_SCORING_DB": str(db_path),
        "LEAD_SCORING_RULES_DIR": _seed_path(project, rules_dir or paths.default_rules_dir()),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "LEAD_SCORING_RESCORE": rescore,
    }
    if "LEAD_SCORING_TARGET_PATH" not in os.environ and not os.access(project, os.W_OK):
        # A read-only project (a Lambda package) still needs somewhere to write artifacts.
        env["LEAD_SCORING_TARGET_PATH"] = "/tmp/lead_scoring_target"  # noqa: S108
    full_args = [
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
    ]
    with patched_environ(env):
        try:
            return dbtRunner().invoke(full_args)
        finally:
            _close_dbt_duckdb()


def _close_dbt_duckdb() -> None:
    """Close the DuckDB database that dbt-duckdb keeps open between invocations.

    While it stays open, later writes from this process sit in the write-ahead log instead
    of the database file, and the atomic file swap in build() could publish a file without
    them. dbt-duckdb 1.11 has no public call for this, so the class attribute is used.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        if environment is not None:
            environment.close()
            DuckDBConnectionManager._ENV = None


def _seed_path(project: Path, rules_dir: Path) -> str:
    """Return a seed path for the rules folder, relative to the project.

    dbt writes each seed's compiled SQL to target/run/<project>/<seed path>; an absolute
    seed path makes that the seed file itself, and dbt would overwrite the rule table.
    A folder outside the project is therefore copied under target/ first.
    """
    rules_dir = rules_dir.resolve()
    if rules_dir.is_relative_to(project):
        return str(rules_dir.relative_to(project))
    staged = project / "target" / "rule_set"
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    for name in RULE_FILES:
        shutil.copyfile(rules_dir / name, staged / name)
    return str(staged.relative_to(project))


def build(
    db_path: Path,
    rules_dir: Path | None = None,
    full_refresh: bool = False,
    dbt_vars: dict[str, object] | None = None,
    select: str | None = None,
    quiet: bool = False,
) -> BuildResult:
    """Build the whole project (seeds, models, tests) and record the run in meta.run_log.

    A full refresh happens when requested, when the warehouse has no successful build yet, or
    when the rule tables differ from the ones the last successful build used. Rule changes are
    retroactive, so every rule-dependent layer is then rebuilt from all activity.

    The build runs on a copy of the warehouse file that replaces the original only when every
    model and test passed. A failed, invalid or killed build leaves the published warehouse
    exactly as it was. Raises BuildLockedError when another build of the file is running.
    """
    with build_lock(db_path):
        _remove_stale_work_files(db_path)
        return _build_locked(db_path, rules_dir, full_refresh, dbt_vars, select, quiet)


def _build_locked(
    db_path: Path,
    rules_dir: Path | None = None,
    full_refresh: bool = False,
    dbt_vars: dict[str, object] | None = None,
    select: str | None = None,
    quiet: bool = False,
) -> BuildResult:
    rules_dir = (rules_dir or paths.default_rules_dir()).resolve()
    check_rules_dir(rules_dir)
    fingerprint = rules_fingerprint(rules_dir)
    code = code_fingerprint()
    as_of = resolved_as_of(dbt_vars)
    run_id = str(uuid.uuid4())
    started = _utc_now()

    with contextlib.closing(warehouse.connect(db_path)) as con:
        warehouse.create_raw_tables(con)
        ensure_meta(con)
        previous = _last_successful_run(con)
        rules_changed = previous.rules is not None and previous.rules != fingerprint
        code_changed = previous.rules is not None and previous.code != code
        if code_changed:
            log.info("the scoring code changed since the last build; rebuilding everything")
        # A build of selected models may load other rules or code into the tables it
        # rebuilds and leave the rest unchanged. Only a full rebuild makes them consistent.
        after_partial = previous.selection is not None
        if after_partial and not full_refresh and select is None:
            log.info("the last build rebuilt selected models only; rebuilding everything")
        refresh = (
            full_refresh or previous.rules is None or rules_changed or code_changed or after_partial
        )
        behind = 0 if refresh else rows_behind_watermark(con)
        # The rule tables of the last successful build passed their tests, and an
        # unchanged fingerprint means they hold the same rules: loading and testing them
        # again would only cost one more dbt invocation.
        # A rule table edited in place (not in its CSV file) is loaded again from the file.
        rule_tables_loaded = (
            previous.rule_tables is not None
            and rule_tables_fingerprint(con) == previous.rule_tables
        )
        profile = profile_fingerprint(con)
        reuse_profiles = (
            not refresh
            and select is None
            and previous.profile == profile
            and previous.as_of == as_of
            and _profile_tables_exist(con)
        )
    if behind > 0:
        log.warning(
            "%d raw activity row(s) loaded at or behind the load-time watermark; "
            "rebuilding everything so they are scored",
            behind,
        )
        refresh = True
    elif behind < 0:
        log.warning(
            "%d processed activity row(s) are no longer in raw.activities; "
            "rebuilding everything from what it contains now",
            -behind,
        )
        refresh = True
    reuse_profiles = reuse_profiles and not refresh
    if reuse_profiles:
        log.info("leads, accounts, rules and scoring date unchanged; keeping the profile models")

    # A fixed name: dbt reuses its saved parse only while the profile's path is unchanged.
    work_path = db_path.with_name(f"{db_path.stem}.building{db_path.suffix}")
    shutil.copyfile(db_path, work_path)
    try:
        with contextlib.closing(warehouse.connect(work_path)) as con:
            con.execute(
                f"insert into {META_SCHEMA}.run_log ({_RUN_LOG_COLUMNS}) "
                "values (?, ?, null, ?, ?, ?, 'running', ?, ?, ?, ?)",
                [
                    run_id,
                    started,
                    str(rules_dir),
                    fingerprint,
                    refresh,
                    code,
                    # A build of selected models may leave the profile tables as they
                    # were, so its row does not vouch for them.
                    profile if select is None else None,
                    as_of,
                    select,
                ],
            )
            con.execute(f"drop schema if exists {RULE_FAILURE_SCHEMA} cascade")

        log.info("dbt build started: run %s, full refresh %s", run_id, refresh)
        kept = (*PROFILE_MODELS, PROFILE_INPUT_TESTS) if reuse_profiles else ()
        load_rules = refresh or not rule_tables_loaded
        result, nodes = _run_build(
            work_path, rules_dir, refresh, dbt_vars, select, quiet, kept, load_rules
        )
        success = bool(result.success)
        finished = _utc_now()
        with contextlib.closing(warehouse.connect(work_path)) as con:
            problems = rule_problems(con)
            con.execute(
                f"update {META_SCHEMA}.run_log set finished_at = ?, status = ?, "
                "rule_tables_fingerprint = ? where run_id = ?",
                [
                    finished,
                    "success" if success else "failed",
                    rule_tables_fingerprint(con),
                    run_id,
                ],
            )
            # Everything must be in the file itself before the file is swapped in.
            con.execute("checkpoint")
        if success:
            os.replace(work_path, db_path)
        else:
            _record_failed_run(
                db_path, run_id, started, finished, rules_dir, (fingerprint, code), refresh
            )
    finally:
        work_path.unlink(missing_ok=True)
        work_path.with_name(work_path.name + ".wal").unlink(missing_ok=True)

    if result.exception is not None and not nodes:
        raise RuntimeError(f"dbt build failed before running any node: {result.exception}")
    return BuildResult(
        success=success,
        run_id=run_id,
        full_refresh=refresh,
        rules_changed=rules_changed,
        code_changed=code_changed,
        profiles_reused=reuse_profiles,
        seconds=(finished - started).total_seconds(),
        rows_behind_watermark=behind,
        nodes=nodes,
        rule_problems=problems,
    )


def _run_build(
    db_path: Path,
    rules_dir: Path,
    refresh: bool,
    dbt_vars: dict[str, object] | None,
    select: str | None,
    quiet: bool,
    kept_models: Sequence[str] = (),
    load_rules: bool = True,
):
    # The build reads its results from the returned object, and writing manifest.json and
    # run_results.json took about 4 s per invocation at 10M events.
    common: list[str] = ["--no-write-json"]
    if dbt_vars:
        common += ["--vars", json.dumps(dbt_vars)]
    if quiet:
        common.append("--quiet")
    result = None
    nodes: list[NodeResult] = []
    if load_rules:
        # Rule tables are loaded and validated first, on their own: when one is malformed
        # the build stops there, and no model is built from half-valid rules.
        result = invoke_dbt(
            [
                "build",
                "--select",
                "resource_type:seed",
                # Only tests on rule tables alone; tests that also read models run later.
                "--indirect-selection",
                "cautious",
                "--full-refresh",
                *common,
            ],
            db_path,
            rules_dir,
        )
        nodes = _node_results(result)
    if result is None or result.success:
        # Unit tests check the SQL, not the data, so they run in the test suite
        # (run_unit_tests) rather than on every scoring run.
        model_args = [
            "build",
            "--exclude",
            "resource_type:seed",
            "resource_type:unit_test",
            # Their data tests go with them: the tables they checked are unchanged.
            *kept_models,
            # Rule tables that were not loaded again hold the rules the last successful
            # build tested.
            *(() if load_rules else (RULE_INPUT_TESTS,)),
            *common,
        ]
        if refresh:
            model_args.append("--full-refresh")
        if select:
            model_args += ["--select", select]
        # Kept profile models mean that nothing but activity changed since the last
        # build, so the lead-level tables need recomputing for the affected leads only.
        rescore = "changed" if kept_models else "all"
        result = invoke_dbt(model_args, db_path, rules_dir, rescore)
        nodes += _node_results(result)
    return result, nodes


def run_unit_tests(db_path: Path) -> list[NodeResult]:
    """Run every dbt unit test against a built warehouse and return the results.

    Unit tests read the column types of the models they feed, so the warehouse must have
    been built once. The rows they use are all given in the tests themselves.
    """
    with build_lock(db_path):
        result = invoke_dbt(["test", "--select", "test_type:unit", "--quiet"], db_path)
    return _node_results(result)


def _record_failed_run(
    db_path: Path,
    run_id: str,
    started: datetime,
    finished: datetime,
    rules_dir: Path,
    fingerprints: tuple[str, str],
    refresh: bool,
) -> None:
    with contextlib.closing(warehouse.connect(db_path)) as con:
        con.execute(
            f"insert into {META_SCHEMA}.run_log ({_RUN_LOG_COLUMNS}) "
            "values (?, ?, ?, ?, ?, ?, 'failed', ?, null, null, null)",
            [run_id, started, finished, str(rules_dir), fingerprints[0], refresh, fingerprints[1]],
        )


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def rule_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return one line per invalid rule found by the last build's rule-table tests."""
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = ?",
        [RULE_FAILURE_SCHEMA],
    ).fetchall()
    problems: list[str] = []
    for (table,) in tables:
        columns = {
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [RULE_FAILURE_SCHEMA, table],
            ).fetchall()
        }
        if not {"rule_table", "rule_id", "problem"} <= columns:
            continue
        rows = con.execute(
            f'select rule_table, rule_id, problem from {RULE_FAILURE_SCHEMA}."{table}" '
            "order by 1, 2"
        ).fetchall()
        problems += [
            f"{rule_table}: rule {rule_id}: {problem}" for rule_table, rule_id, problem in rows
        ]
    return sorted(set(problems))


def _node_results(result) -> list[NodeResult]:
    run = getattr(result, "result", None)
    node_results = getattr(run, "results", None) or []
    nodes = []
    for item in node_results:
        node = item.node
        nodes.append(
            NodeResult(
                unique_id=node.unique_id,
                resource_type=str(node.resource_type),
                status=str(item.status),
                message=item.message,
                seconds=float(item.execution_time or 0.0),
            )
        )
    return nodes
