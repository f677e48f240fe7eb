"""The sub-commands of the command line, one function each, taking the parsed arguments."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from lead_scoring import dbt_runner, paths, report
from lead_scoring.generate import GeneratorConfig, generate
from lead_scoring.loader import LoadResult, load_csv_files
from lead_scoring.mapping import load_mapping

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
# Rejected rows listed on stderr after a load; all of them are in raw.load_rejects.
REJECTS_SHOWN = 20
TOP_LEADS = 10


def run_generate(args: argparse.Namespace) -> int:
    db_path = paths.resolve_db(args.db)
    summary = generate(db_path, _generator_config(args))
    counts = ", ".join(f"{table} {count:,}" for table, count in summary.rows.items())
    print(f"Generated sample data in {db_path} ({summary.seconds:.1f} s): {counts}")
    _warn_if_built(db_path)
    return EXIT_OK


def _generator_config(args: argparse.Namespace) -> GeneratorConfig:
    return GeneratorConfig(
        leads=args.leads,
        events=args.events,
        seed=args.seed,
        reference_date=args.reference_date,
        days=args.days,
    )


def _warn_if_built(db_path: Path) -> None:
    # Incremental models pick up new rows by loaded_at; after the raw tables were replaced,
    # only a full refresh rebuilds them from the new content.
    with contextlib.closing(report.open_warehouse(db_path)) as con:
        (built,) = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = 'run_log'",
            [dbt_runner.META_SCHEMA],
        ).fetchone()
    if built:
        log.warning(
            "the raw tables were replaced: run `lead-scoring build --full-refresh` so that "
            "every model is rebuilt from the new data"
        )


def run_load(args: argparse.Namespace) -> int:
    db_path = paths.resolve_db(args.db)
    mapping = load_mapping(Path(args.mapping))
    csv_paths = [Path(name) for name in args.csv_files]
    result = load_csv_files(db_path, mapping, csv_paths, append=args.append)
    action = "Appended" if args.append else "Loaded"
    print(
        f"{action} {result.leads:,} leads, {result.attributes:,} attribute values and "
        f"{result.conversions:,} conversions from {result.files} file(s) into {db_path}"
    )
    _report_rejects(result)
    if result.invalid_numbers:
        log.warning(
            "%s cells of number columns were not numbers and were stored as missing",
            f"{result.invalid_numbers:,}",
        )
    _warn_if_built(db_path)
    return EXIT_OK


def _report_rejects(result: LoadResult) -> None:
    if not result.rejects:
        log.info("no rows rejected")
        return
    log.warning("%s rows rejected, stored in raw.load_rejects:", f"{len(result.rejects):,}")
    for reject in result.rejects[:REJECTS_SHOWN]:
        log.warning(
            "  %s line %d: %s", Path(reject.source_file).name, reject.line_number, reject.reason
        )
    hidden = len(result.rejects) - REJECTS_SHOWN
    if hidden > 0:
        log.warning("  ... and %s more", f"{hidden:,}")


def run_build(args: argparse.Namespace) -> int:
    db_path = paths.resolve_db(args.db)
    rules_dir = Path(args.rules) if args.rules else None
    if rules_dir is None:
        # Falling back to the default rules would rescore every lead under rules the
        # user never chose, and write history rows with them.
        previous = dbt_runner.last_rules_dir(db_path)
        default = paths.default_rules_dir().resolve()
        if previous is not None and previous != default:
            print(
                f"lead-scoring build: error: the last build of {db_path} used the rules in "
                f"{previous}; pass --rules {previous} to keep them, or --rules {default} "
                "to switch to the default rules",
                file=sys.stderr,
            )
            return EXIT_USAGE
    dbt_vars: dict[str, object] = {}
    if args.as_of:
        today = datetime.now(UTC).date()
        if args.as_of > today:
            print(
                f"lead-scoring build: error: --as-of {args.as_of} is after today ({today}, "
                "UTC); scores can be computed for today or a past date",
                file=sys.stderr,
            )
            return EXIT_USAGE
        dbt_vars["as_of_date"] = args.as_of.isoformat()
    if args.backfill:
        if not args.as_of:
            print("lead-scoring build: error: --backfill needs --as-of", file=sys.stderr)
            return EXIT_USAGE
        dbt_vars["backfill"] = True
    result = _build(db_path, rules_dir, args.full_refresh, dbt_vars, args.verbose)
    print(format_build_summary(db_path, result))
    return EXIT_OK if result.success else EXIT_FAILED


def _build(
    db_path: Path,
    rules_dir: Path | None,
    full_refresh: bool,
    dbt_vars: dict[str, object] | None,
    verbose: bool,
) -> dbt_runner.BuildResult:
    # Checked here as well so that a wrong folder fails before any progress is printed.
    dbt_runner.check_rules_dir((rules_dir or paths.default_rules_dir()).resolve())
    log.info("building %s with dbt (seeds, models, tests); this can take a minute", db_path)
    result = dbt_runner.build(
        db_path,
        rules_dir=rules_dir,
        full_refresh=full_refresh,
        dbt_vars=dbt_vars,
        quiet=not verbose,
    )
    log.info("build %s in %.1f s", "passed" if result.success else "failed", result.seconds)
    return result


def format_build_summary(db_path: Path, result: dbt_runner.BuildResult) -> str:
    """Format the outcome of a build: counts when it passed, problems when it failed."""
    mode = "full refresh" if result.full_refresh else "incremental"
    if result.rules_changed:
        mode += ", rules changed"
    if result.code_changed:
        mode += ", scoring code changed"
    if result.rows_behind_watermark > 0:
        mode += f", {result.rows_behind_watermark:,} row(s) loaded behind the watermark"
    elif result.rows_behind_watermark < 0:
        mode += f", {-result.rows_behind_watermark:,} processed row(s) gone from raw.activities"
    outcome = "passed" if result.success else "FAILED"
    lines = [f"Build {outcome} in {result.seconds:.1f} s (run {result.run_id[:8]}, {mode})"]
    if result.success:
        lines += _counts_section(db_path)
    else:
        lines.append(
            "The published marts were left unchanged; meta.run_log records the failed run."
        )
    if result.rule_problems:
        lines += ["", "Rule problems:", *(f"  {problem}" for problem in result.rule_problems)]
    if result.failures:
        lines += ["", "Failed nodes:"]
        lines += [
            f"  {node.unique_id}: {node.status}: {_one_line(node.message)}"
            for node in result.failures
        ]
    return "\n".join(lines)


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else "(no message)"


def _counts_section(db_path: Path) -> list[str]:
    with contextlib.closing(report.open_warehouse(db_path)) as con:
        report.require_tables(con, [report.QUALIFICATION, report.QUARANTINE, report.WITHHELD])
        raw = report.raw_counts(con)
        stages = report.stage_counts(con)
        quarantine = report.quarantine_counts(con)
        withheld = report.withheld_points(con)
    raw_line = ", ".join(f"{table} {count:,}" for table, count in raw.items())
    empty = []
    if not raw.get("leads") and not raw.get("activities"):
        empty = [
            f"{db_path} has no leads or activities: fill it with `lead-scoring load` or "
            "`lead-scoring generate`, or pass the right --db"
        ]
    return [
        f"Raw rows: {raw_line}",
        *empty,
        report.format_withheld_totals(withheld),
        "",
        "Leads per stage:",
        report.format_table(stages),
        "",
        f"Quarantined rows: {sum(row['rows'] for row in quarantine):,}",
        report.format_table(quarantine),
    ]


def run_report(args: argparse.Namespace) -> int:
    db_path = paths.resolve_db(args.db)
    with contextlib.closing(report.open_warehouse(db_path)) as con:
        report.require_tables(
            con, [report.QUALIFICATION, report.PERFORMANCE, report.AUC, report.WITHHELD]
        )
        result = report.performance(con)
        withheld = report.withheld_points(con)
    if args.format == "json":
        print(json.dumps({**result, "points_withheld": withheld}, indent=2))
    else:
        print(report.format_performance(result))
        print()
        print(report.format_withheld(withheld))
    return EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    db_path = paths.resolve_db(args.db)
    summary = generate(db_path, _generator_config(args))
    log.info("generated %s activity rows into %s", f"{summary.rows['activities']:,}", db_path)
    # The raw tables were just replaced, so every incremental model starts over.
    result = _build(db_path, None, True, None, args.verbose)
    if not result.success:
        print(format_build_summary(db_path, result))
        return EXIT_FAILED
    print(format_demo_summary(db_path, result))
    return EXIT_OK


def format_demo_summary(db_path: Path, result: dbt_runner.BuildResult) -> str:
    """Format the demo's summary: top leads, stages, quarantine and scoring performance."""
    with contextlib.closing(report.open_warehouse(db_path)) as con:
        report.require_tables(
            con, [report.QUALIFICATION, report.QUARANTINE, report.PERFORMANCE, report.AUC]
        )
        top = report.top_leads(con, TOP_LEADS)
        performance = report.performance(con)
    lines = [
        *_counts_section(db_path),
        "",
        f"Top {TOP_LEADS} leads:",
        report.format_table(top),
        "",
        "Scoring performance:",
        report.format_performance(performance),
        "",
        f"Warehouse: {db_path} (build {result.seconds:.1f} s). Query the marts schema, or run "
        "`lead-scoring report`.",
    ]
    return "\n".join(lines)
