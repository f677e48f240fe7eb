"""The `lead-scoring` command line: generate or load data, build the scores, report on them.

Errors a user can fix (bad arguments, missing files, invalid mappings or rules) end the
command with one line on stderr and exit status 2; a failed build exits with 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date
from typing import NoReturn

import duckdb

from lead_scoring import __version__, dbt_runner, paths
from lead_scoring.cli_commands import (
    run_build,
    run_demo,
    run_generate,
    run_load,
    run_report,
)
from lead_scoring.generate import DEFAULT_EVENTS_PER_LEAD, DEFAULT_LEADS
from lead_scoring.loader import LoadError
from lead_scoring.mapping import MappingError
from lead_scoring.report import ReportError

log = logging.getLogger("lead_scoring")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command line the parser rejected; the message is the whole error line."""


class Parser(argparse.ArgumentParser):
    """ArgumentParser that reports a usage error as one line instead of usage plus error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}; expected YYYY-MM-DD") from error


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"invalid count {text!r}; expected a whole number"
        ) from error
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}; expected 0 or more")
    return value


def _common_options() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        help="warehouse file (DuckDB); default: $LEAD_SCORING_DB, else "
        f"{paths.DEFAULT_DB} in the current folder",
    )
    verbosity = common.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="log details and show dbt's own output"
    )
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", help="log warnings and errors only, no progress"
    )
    return common


def _sample_options() -> argparse.ArgumentParser:
    sample = Parser(add_help=False)
    sample.add_argument(
        "--leads",
        type=_positive_int,
        default=DEFAULT_LEADS,
        metavar="N",
        help=f"number of leads to generate (default: {DEFAULT_LEADS:,})",
    )
    sample.add_argument(
        "--events",
        type=_positive_int,
        metavar="N",
        help="number of rows of raw.activities to generate "
        f"(default: {DEFAULT_EVENTS_PER_LEAD} per lead)",
    )
    sample.add_argument(
        "--seed",
        type=int,
        default=42,
        metavar="N",
        help="random seed; the same seed and sizes give identical tables (default: 42)",
    )
    sample.add_argument(
        "--reference-date",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="generated events end at midnight UTC at the start of this date (default: today, UTC)",
    )
    sample.add_argument(
        "--days",
        type=int,
        default=120,
        metavar="N",
        help="days of activity history before the reference date (default: 120)",
    )
    return sample


def build_parser() -> Parser:
    """Return the parser of the whole command line."""
    common, sample = _common_options(), _sample_options()
    parser = Parser(
        prog="lead-scoring",
        description="Lead engagement scores and fit grades computed in a DuckDB warehouse "
        "from rule tables.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser(
        "demo",
        parents=[common, sample],
        help="generate sample data, build, and print a summary",
        description="Replace the warehouse's raw tables with generated sample data, build "
        "every model from scratch, and print the top leads, stage and quarantine counts and "
        "the scoring performance.",
    )
    commands.add_parser(
        "generate",
        parents=[common, sample],
        help="replace the raw tables with generated sample data",
        description="Replace the content of every raw table with deterministic sample data "
        "(accounts, leads, attributes, activities with realistic defects, conversions).",
    )
    _add_load(commands, common)
    _add_build(commands, common)
    _add_aws_local(commands, common)
    report = commands.add_parser(
        "report",
        parents=[common],
        help="print the scoring performance",
        description="Print conversion by grade and by score band, and the ROC AUC of score "
        "and grade, from the last successful build.",
    )
    report.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="output format on stdout (default: table)",
    )
    return parser


def _add_load(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    load = commands.add_parser(
        "load",
        parents=[common],
        help="load CSV exports through a mapping file",
        description="Load CSV files into raw.leads, raw.lead_attributes and raw.conversions "
        "as the mapping file says. Loading REPLACES the previous rows of those tables and of "
        "raw.load_rejects, unless --append is given. Rows that cannot be loaded are stored "
        "in raw.load_rejects with file, line number (1 is the header) and reason, and "
        "counted on stderr.",
    )
    load.add_argument(
        "--mapping", required=True, metavar="FILE", help="YAML mapping of CSV columns"
    )
    load.add_argument("csv_files", nargs="+", metavar="CSV", help="CSV file(s) to load")
    load.add_argument(
        "--append",
        action="store_true",
        help="add to the rows already loaded instead of replacing them; lead ids are "
        "checked for duplicates within this load only",
    )


def _add_build(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    build = commands.add_parser(
        "build",
        parents=[common],
        help="build scores, grades and stages with dbt",
        description="Run the dbt project (rule tables, models, tests) against the warehouse "
        "and print a run summary. The published warehouse changes only if the build passes.",
    )
    build.add_argument(
        "--rules",
        metavar="DIR",
        help=f"folder holding the rule tables as CSV files (default: {paths.default_rules_dir()})",
    )
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental model from all activity instead of new rows only",
    )
    build.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="date the scores, decay and windows are computed for (default: today, UTC)",
    )
    build.add_argument(
        "--backfill",
        action="store_true",
        help="record history for a past --as-of date without raising hot-lead alerts",
    )


def _add_aws_local(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    aws_local = commands.add_parser(
        "aws-local",
        parents=[common],
        help="run ingest, scoring and notify against a local AWS emulator",
        description="Start moto's server on 127.0.0.1, create the resources of "
        "infra/template.yaml, post sample events through the ingest function, run a scoring "
        "run and print each hot-lead message as it arrives, then stop the server. Needs the "
        "dev extra (moto).",
    )
    aws_local.add_argument(
        "--leads", type=_positive_int, default=40, help="sample leads (default: 40)"
    )
    aws_local.add_argument(
        "--events", type=_positive_int, default=800, help="sample events (default: 800)"
    )
    aws_local.add_argument("--seed", type=int, default=7, help="sample data seed (default: 7)")
    aws_local.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="stop with an error after this many seconds (default: 600)",
    )


def run_aws_local(args: argparse.Namespace) -> int:
    """Run the AWS path on a local moto server and print each hot-lead message."""
    try:
        from lead_scoring.aws.local import run_local
    except ImportError as error:
        _error_line("aws-local", f"{error}; install the extras with: pip install -e '.[aws,dev]'")
        return EXIT_USAGE
    run_local(leads=args.leads, events=args.events, seed=args.seed, timeout_seconds=args.timeout)
    return 0


def configure_logging(verbose: bool, quiet: bool) -> None:
    """Send the package's log records to stderr: progress, or details with --verbose."""
    handler = logging.StreamHandler(sys.stderr)
    if verbose:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    level = logging.INFO
    if verbose:
        level = logging.DEBUG
    elif quiet:
        level = logging.WARNING
    log.setLevel(level)
    log.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    configure_logging(args.verbose, args.quiet)
    handlers = {
        "demo": run_demo,
        "generate": run_generate,
        "load": run_load,
        "build": run_build,
        "report": run_report,
        "aws-local": run_aws_local,
    }
    try:
        return handlers[args.command](args)
    except dbt_runner.RuleSetError as error:
        _error_line(args.command, str(error))
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (LoadError, MappingError, ReportError, FileNotFoundError, ValueError) as error:
        _error_line(args.command, str(error))
        return EXIT_USAGE
    except dbt_runner.BuildLockedError as error:
        _error_line(args.command, str(error))
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader of our output went away (for example `| head`); nothing to report.
        return EXIT_OK
    except duckdb.Error as error:
        _error_line(args.command, f"warehouse error: {_one_line(str(error))}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error_line(args.command, "interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:
        log.debug("unexpected error", exc_info=True)
        _error_line(
            args.command,
            f"unexpected {type(error).__name__}: {_one_line(str(error))} "
            "(rerun with --verbose for the traceback)",
        )
        return EXIT_FAILED


def _error_line(command: str, message: str) -> None:
    print(f"lead-scoring {command}: error: {_one_line(message)}", file=sys.stderr)


def _one_line(text: str) -> str:
    return " ".join(text.split()) if text else "(no message)"


if __name__ == "__main__":
    sys.exit(main())
