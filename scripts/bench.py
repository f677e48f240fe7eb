"""Benchmark the scoring pipeline against a bare DuckDB query over the same activities.

For each size: generate the events, time a full build, add 1% new events and time an
incremental build, and time one hand-written query that gives every lead the default
activity points (the floor any scoring pipeline must pay). Each step runs in its own
process, so its peak memory (max RSS) is measured apart from the others. Prints the
ratios side by side and appends them to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
REFERENCE_DATE = "2026-11-30"
GIB = 1024**3

# Each step is a small program run with the warehouse path as its argument; it prints one
# JSON object with what it measured.
GENERATE = """
import json, sys
from datetime import date
from pathlib import Path
from lead_scoring.generate import GeneratorConfig, generate
events = int(sys.argv[2])
config = GeneratorConfig(leads=max(events // 30, 100), events=events, seed=1,
                         reference_date=date.fromisoformat(sys.argv[3]))
summary = generate(Path(sys.argv[1]), config)
print(json.dumps({"seconds": summary.seconds, "rows": summary.rows}))
"""

BUILD = """
import json, sys, time
from pathlib import Path
from lead_scoring import dbt_runner
started = time.monotonic()
result = dbt_runner.build(Path(sys.argv[1]), full_refresh=sys.argv[2] == "full",
                          dbt_vars={"as_of_date": sys.argv[3]}, quiet=True)
seconds = time.monotonic() - started
by_type = {}
for node in result.nodes:
    kind = node.resource_type.split(".")[-1].lower()
    by_type[kind] = by_type.get(kind, 0.0) + node.seconds
print(json.dumps({"seconds": seconds, "by_type": by_type,
                  "success": result.success, "full_refresh": result.full_refresh,
                  "failures": [node.unique_id for node in result.failures]}))
"""

# dbt's fixed cost of a full build: two invocations (rule tables, then models), each
# starting dbt, reading the saved parse and connecting, with nothing selected.
DBT_START = """
import json, sys, time
from pathlib import Path
from lead_scoring import dbt_runner
started = time.monotonic()
for _ in range(2):
    dbt_runner.invoke_dbt(["run", "--select", "resource_type:analysis", "--quiet"],
                          Path(sys.argv[1]))
print(json.dumps({"seconds": time.monotonic() - started}))
"""

# One bare query: valid events joined to the default points of their activity type, summed
# per lead. No URL rules, caps, first-time rules, bots, decay, grades or tests.
BASELINE = """
import json, sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set memory_limit = '3GB'")
con.execute("set enable_progress_bar = false")
started = time.monotonic()
rows = con.execute('''
    select a.lead_id, sum(r.points) as score
    from raw.activities as a
    inner join rules.activity_rules as r
        on lower(a.activity_type) = r.activity_type and r.asset_pattern is null
    where a.lead_id is not null and try_cast(a.occurred_at as timestamp) is not null
    group by a.lead_id
''').fetchall()
print(json.dumps({"seconds": time.monotonic() - started, "leads": len(rows)}))
"""

# 1% new events, as a scheduled run finds them: copies of sampled events with new ids,
# moved to the scoring day (the time of day from a hash of the id) and loaded now. Late
# events take the same incremental path (the tests cover them), but a run every few
# minutes mostly reads what just happened.
ADD_EVENTS = """
import json, sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")
fraction = float(sys.argv[2])
started = time.monotonic()
con.execute('''
    insert into raw.activities
    select 'bench-' || cast(epoch_ms(now()) as varchar) || '-'
            || cast(row_number() over () as varchar),
        lead_id, visitor_id, activity_type,
        strftime(date '{day}' + to_seconds(hash(event_id) % 86400), '%Y-%m-%dT%H:%M:%SZ'),
        strftime(now()::timestamp, '%Y-%m-%dT%H:%M:%SZ'),
        url, asset, duration_seconds, user_agent, properties
    from raw.activities using sample reservoir({percent:.4f}%) repeatable (7)
'''.format(percent=fraction * 100, day=sys.argv[3]))
print(json.dumps({"seconds": time.monotonic() - started}))
"""


# Appended to every step: the step's own peak memory. The children's ru_maxrss seen from
# here is the largest of any child so far, so the generator's peak would hide the builds'.
PEAK = """
import json as _json, resource as _resource
print(_json.dumps({"peak_kib": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss}))
"""


def run_step(program: str, *arguments: str) -> tuple[dict, float]:
    """Run one step in a fresh process; return its JSON output and its peak memory in GiB."""
    environment = {**os.environ, "DO_NOT_TRACK": "1"}
    completed = subprocess.run(
        [sys.executable, "-c", program + PEAK, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{completed.stderr[-3000:]}")
    # The JSON objects are the last lines; anything before them (a progress bar) is not ours.
    measured: dict = {}
    for line in completed.stdout.splitlines():
        if line.startswith("{"):
            measured.update(json.loads(line))
    # ru_maxrss is in KiB on Linux.
    peak = measured.pop("peak_kib") * 1024 / GIB
    # Echoed as each step ends, so a long run stopped part way still shows what it measured.
    print(f"  {json.dumps(measured)} peak {peak:.2f} GiB", file=sys.stderr, flush=True)
    return measured, peak


def benchmark(size: int, work_dir: Path, reuse: bool, full_only: bool = False) -> dict:
    db_path = work_dir / f"bench_{size}.duckdb"
    if not (reuse and db_path.exists()):
        db_path.unlink(missing_ok=True)
        print(f"[{size:,} events] generating", file=sys.stderr, flush=True)
        run_step(GENERATE, str(db_path), str(size), REFERENCE_DATE)
    print(f"[{size:,} events] full build", file=sys.stderr, flush=True)
    full, full_peak = run_step(BUILD, str(db_path), "full", REFERENCE_DATE)
    if not full["success"]:
        raise SystemExit(f"the full build failed: {full['failures']}; see logs/dbt.log")
    print(f"[{size:,} events] dbt start-up cost", file=sys.stderr, flush=True)
    start, _ = run_step(DBT_START, str(db_path))
    print(f"[{size:,} events] baseline query", file=sys.stderr, flush=True)
    baseline, _ = run_step(BASELINE, str(db_path))
    full_work = full["seconds"] - start["seconds"]
    result = {
        "full_model_s": full["by_type"].get("model", 0.0),
        "full_test_s": full["by_type"].get("test", 0.0),
        "events": size,
        "full_s": full["seconds"],
        "incremental_s": None,
        "dbt_start_s": start["seconds"],
        "baseline_s": baseline["seconds"],
        "incremental_over_full": None,
        "full_over_baseline": full_work / baseline["seconds"],
        "peak_gib": full_peak,
    }
    if full_only:
        return result
    print(f"[{size:,} events] adding 1% new events, incremental build", file=sys.stderr, flush=True)
    run_step(ADD_EVENTS, str(db_path), "0.01", REFERENCE_DATE)
    incremental, incremental_peak = run_step(BUILD, str(db_path), "incremental", REFERENCE_DATE)
    if not incremental["success"]:
        raise SystemExit(f"the incremental build failed: {incremental['failures']}")
    if incremental["full_refresh"]:
        raise SystemExit("the second build was a full refresh; the incremental path was not run")
    result["incremental_s"] = incremental["seconds"]
    result["incremental_over_full"] = incremental["seconds"] / full["seconds"]
    result["peak_gib"] = max(full_peak, incremental_peak)
    return result


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()}"


def report(results: list[dict]) -> str:
    header = (
        "| events | full build s | incremental (1% new) s | dbt start-up s | baseline query s "
        "| incremental / full | (full - start-up) / baseline | models only / baseline "
        "| peak memory GiB |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = "".join(
        f"| {r['events']:,} | {r['full_s']:.1f} | {_number(r['incremental_s'], 1)} "
        f"| {r['dbt_start_s']:.1f} | {r['baseline_s']:.2f} "
        f"| {_number(r['incremental_over_full'], 2)} "
        f"| {r['full_over_baseline']:.1f} | {r['full_model_s'] / r['baseline_s']:.1f} "
        f"| {r['peak_gib']:.2f} |\n"
        for r in results
    )
    return header + rows


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def verdicts(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        checks = [
            ("full at most 10x baseline", r["full_over_baseline"] <= 10),
            ("peak memory under 4 GiB", r["peak_gib"] < 4),
        ]
        if r["incremental_over_full"] is not None:
            checks.insert(
                0, ("incremental at most 1/4 of full", r["incremental_over_full"] <= 0.25)
            )
        for name, passed in checks:
            lines.append(f"{r['events']:,} events: {name}: {'met' if passed else 'MISSED'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000000,10000000",
        help="comma-separated numbers of events to benchmark (default: 1M and 10M)",
    )
    parser.add_argument(
        "--work-dir", default=str(PROJECT / "build" / "bench"), help="folder for the warehouses"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a warehouse of the same size left in --work-dir instead of generating one",
    )
    parser.add_argument(
        "--full-only",
        action="store_true",
        help="measure the full build, start-up and baseline only, without the incremental step",
    )
    parser.add_argument(
        "--record", default=str(PROJECT / "BENCHMARKS.md"), help="file the results are appended to"
    )
    args = parser.parse_args()
    work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    sizes = [int(size) for size in args.sizes.split(",")]
    results = [benchmark(size, work_dir, args.reuse, args.full_only) for size in sizes]

    table = report(results)
    print(table)
    for line in verdicts(results):
        print(line)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with open(args.record, "a", encoding="utf-8") as record:
        record.write(
            f"\n## Run of {stamp}\n\nMachine: {machine()}. Command: "
            f"`python scripts/bench.py --sizes {args.sizes}"
            f"{' --full-only' if args.full_only else ''}` (`make bench`). "
            f"Scoring date {REFERENCE_DATE}; started {date.today().isoformat()}.\n\n"
            + table
            + "\n"
            + "\n".join(f"- {line}" for line in verdicts(results))
            + "\n"
        )


if __name__ == "__main__":
    main()
