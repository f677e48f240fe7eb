"""Build the Lambda deployment package: runtime dependencies, handlers and the dbt project.

Dependencies are installed as manylinux2014 x86_64 wheels for CPython 3.11, the runtime and
architecture the SAM template declares. The dbt project is parsed at the path a cold start
copies it to (see lead_scoring.aws.runtime), so the first run reuses the saved parse.

Usage: python scripts/package.py [--output build/lead-scoring-lambda.zip]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "src"))

from lead_scoring.aws import runtime  # noqa: E402 (needs the src path above)

BUILD_DIR = REPO_ROOT / "build"
PACKAGE_DIR = BUILD_DIR / "package"
WHEEL_DIR = BUILD_DIR / "wheels"
DEFAULT_OUTPUT = BUILD_DIR / "lead-scoring-lambda.zip"
PYTHON_VERSION = "3.11"
# duckdb 1.5.5 publishes manylinux_2_26 wheels only; glibc 2.26 is what Amazon Linux 2, the
# base of Lambda's python3.11 runtime, provides. pip also accepts older manylinux2014 wheels.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_26_x86_64")
# Lambda's limit for a function's unzipped code and layers, 250 MB, in bytes.
UNZIPPED_LIMIT_BYTES = 262_144_000
PARSE_STATE_FILES = ("partial_parse.msgpack", "manifest.json")


def run(command: list[str], env: dict[str, str] | None = None) -> str:
    print("+", " ".join(command), flush=True)
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"command failed with exit code {result.returncode}")
    return result.stdout + result.stderr


def install_dependencies() -> None:
    shutil.rmtree(WHEEL_DIR, ignore_errors=True)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(WHEEL_DIR), "."])
    (wheel,) = WHEEL_DIR.glob("lead_scoring-*.whl")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            *(option for platform in PLATFORMS for option in ("--platform", platform)),
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            "--only-binary=:all:",
            "--target",
            str(PACKAGE_DIR),
            f"{wheel}[aws]",
        ]
    )


def copy_sources() -> None:
    functions = PACKAGE_DIR / "functions"
    for source in (REPO_ROOT / "functions").rglob("*"):
        if source.is_file() and "__pycache__" not in source.parts:
            target = functions / source.relative_to(REPO_ROOT / "functions")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    project = PACKAGE_DIR / "project"
    runtime.copy_project(REPO_ROOT, project)
    shutil.rmtree(project / "target", ignore_errors=True)
    for leftover in project.rglob("__pycache__"):
        shutil.rmtree(leftover)


def dbt_parse_command() -> list[str]:
    """Run dbt parse through dbt_runner with the packaged libraries only.

    Going through dbt_runner gives dbt the same environment variables a scoring run gives
    it, and those enter the checks that decide whether a saved parse can be reused.
    """
    code = (
        "import sys, pathlib; "
        f"sys.path.insert(0, {str(PACKAGE_DIR)!r}); "
        "from lead_scoring import dbt_runner; "
        "result = dbt_runner.invoke_dbt(['parse'], pathlib.Path(sys.argv[1])); "
        "sys.exit(0 if result.success else 1)"
    )
    # -S leaves out this interpreter's site-packages, so a missing runtime dependency fails here.
    return [sys.executable, "-S", "-c", code, str(runtime.RUNTIME_DB_PATH)]


def parse_environment(project_dir: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LEAD_SCORING_", "DBT_"))
    }
    environment["LEAD_SCORING_PROJECT_DIR"] = str(project_dir)
    environment["DO_NOT_TRACK"] = "1"
    return environment


def preparse_project() -> None:
    """Parse the project at the runtime path and keep the parse state in the package."""
    runtime_dir = runtime.RUNTIME_PROJECT_DIR
    if runtime_dir.exists():
        raise SystemExit(
            f"{runtime_dir} exists; remove it (a leftover of an earlier build) and run again"
        )
    warehouse_dir = runtime.RUNTIME_DB_PATH.parent
    warehouse_existed = warehouse_dir.exists()
    try:
        runtime.copy_project(PACKAGE_DIR / "project", runtime_dir)
        environment = parse_environment(runtime_dir)
        run(dbt_parse_command(), env=environment)
        target = PACKAGE_DIR / "project" / "target"
        target.mkdir(parents=True, exist_ok=True)
        for name in PARSE_STATE_FILES:
            shutil.copy2(runtime_dir / "target" / name, target / name)

        # A cold start copies the package again; its parse must reuse the saved state.
        shutil.rmtree(runtime_dir)
        runtime.copy_project(PACKAGE_DIR / "project", runtime_dir)
        output = run(dbt_parse_command(), env=environment)
        if "Unable to do partial parsing" in output:
            reason = next(line for line in output.splitlines() if "Unable to do partial" in line)
            raise SystemExit(f"the packaged parse state is not reused at run time: {reason}")
        print("packaged dbt parse state is reused at run time")
    finally:
        shutil.rmtree(runtime_dir, ignore_errors=True)
        if not warehouse_existed:
            shutil.rmtree(warehouse_dir, ignore_errors=True)


def remove_bytecode() -> None:
    for cache in list(PACKAGE_DIR.rglob("__pycache__")):
        shutil.rmtree(cache)


def size_report(root: Path) -> tuple[int, Counter[str]]:
    total = 0
    by_top: Counter[str] = Counter()
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            total += size
            by_top[path.relative_to(root).parts[0]] += size
    return total, by_top


def write_zip(output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(PACKAGE_DIR.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(PACKAGE_DIR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="zip file to write")
    args = parser.parse_args()

    shutil.rmtree(PACKAGE_DIR, ignore_errors=True)
    install_dependencies()
    copy_sources()
    preparse_project()
    remove_bytecode()
    write_zip(args.output)

    unzipped, by_top = size_report(PACKAGE_DIR)
    zipped = args.output.stat().st_size
    print(f"package: {args.output.relative_to(REPO_ROOT)}")
    print(f"zipped size:   {zipped / 1e6:8.1f} MB")
    limit = UNZIPPED_LIMIT_BYTES / 1e6
    print(f"unzipped size: {unzipped / 1e6:8.1f} MB (Lambda limit {limit:.1f} MB)")
    print("largest parts:")
    for name, size in by_top.most_common(12):
        print(f"  {size / 1e6:8.1f} MB  {name}")
    if unzipped > UNZIPPED_LIMIT_BYTES:
        raise SystemExit(
            f"unzipped package is {unzipped / 1e6:.1f} MB, over Lambda's 250 MB limit; "
            "deploy run_scoring as a container image (10 GB limit) instead"
        )


if __name__ == "__main__":
    main()
