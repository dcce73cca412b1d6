"""`python -m dagster_project.cli build|daily|backfill|prepare`: what `make build` / `daily` / `backfill` run.

Settings are validated before anything heavy is imported, so a bad AS_OF or SOURCE costs milliseconds and one
line. The build itself is the Dagster job `build`, executed in-process against this checkout's Dagster
instance (DAGSTER_HOME), so every run also shows up in `make dev`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dagster_project.settings import REPO_ROOT, Settings, SettingsError, ensure_writable, load_settings

DBT_DIR = REPO_ROOT / "dbt"


def configure_environment(settings: Settings) -> None:
    """Environment shared by dbt parse and dbt run (identical, or dbt re-parses everything), no telemetry."""
    os.environ["WAREHOUSE_BUILD_DB"] = str(settings.build_db)
    os.environ["DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit  # dbt/profiles.yml
    os.environ["DBT_THREADS"] = str(settings.dbt_threads)  # dbt/profiles.yml
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / "dagster_home"))
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    # one "planned" event per asset for a range run instead of one per day (730 x ~5 ms on SQLite)
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    # the multiprocessing resource tracker (started by a library) warns about a semaphore at exit: not ours, noise
    os.environ.setdefault("PYTHONWARNINGS", "ignore:resource_tracker:UserWarning")
    bin_dir = str(Path(sys.executable).parent)  # dagster-dbt finds `dbt` on PATH
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def ensure_manifest() -> None:
    """Run `dbt parse` when the manifest is missing or older than any file of the dbt project."""
    manifest = DBT_DIR / "target" / "manifest.json"
    if manifest.exists():
        built = manifest.stat().st_mtime
        sources = [p for p in DBT_DIR.rglob("*") if p.suffix in {".sql", ".yml", ".csv"} and "target" not in p.parts]
        if all(p.stat().st_mtime <= built for p in sources):
            return
    dbt = shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")
    done = subprocess.run(
        [dbt, "parse", "--quiet", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"error: dbt parse failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")


def unpack_sample(settings: Settings, through: dt.date) -> None:
    """SOURCE=online_retail: put the shipped export's day files up to `through` into the landing folder."""
    if settings.sample is None:
        return
    from dagster_project.sources.samples import unpack_online_retail

    written = unpack_online_retail(settings.landing_dir, through)
    if written:
        print(f"{settings.sample}: unpacked {len(written)} day files into {written[0].parent}", flush=True)


def partition_range(settings: Settings) -> tuple[dt.date, dt.date]:
    """The days a full build loads: the simulator's whole world up to AS_OF, or what the files cover (up to AS_OF
    when it is set: the files' rows of later days stay out, and the marts are as of AS_OF)."""
    if settings.source == "files":
        from dagster_project.sources import files

        first_day, last_day = files.date_range(settings)
        if not settings.as_of_given:
            return first_day, last_day
        if settings.as_of < first_day:
            raise SettingsError(
                f"AS_OF={settings.as_of} is before {first_day}, the first day the files in "
                f"LANDING_DIR={settings.landing_dir} cover: set a later AS_OF"
            )
        if settings.as_of > last_day:
            print(
                f"note: AS_OF={settings.as_of} is after {last_day}, the last day the landing files cover: the marts "
                f"are as of {last_day}",
                file=sys.stderr,
                flush=True,
            )
        return first_day, min(last_day, settings.as_of)
    return settings.history_start, settings.as_of


def day_range(command: str, settings: Settings) -> tuple[dt.date, dt.date]:
    """`daily`: the one partition DATE; `backfill`: FROM..TO. Both are required, named in the error."""
    if command == "daily":
        if settings.date is None:
            raise SettingsError("DATE is not set: run e.g. make daily DATE=2026-06-30")
        return settings.date, settings.date
    if settings.date_from is None or settings.date_to is None:
        raise SettingsError(
            f"{'FROM' if settings.date_from is None else 'TO'} is not set: run e.g. "
            "make backfill FROM=2026-06-01 TO=2026-06-30"
        )
    return settings.date_from, settings.date_to


class BuildLocked(Exception):
    """Another build, daily or backfill holds this DATA_DIR's build lock."""


@contextlib.contextmanager
def build_lock(settings: Settings):
    """Hold DATA_DIR/build/.lock for the whole run: two runs on one build database would delete or overwrite each
    other's rows (a full build starts by removing the file). flock is released by the OS when the process dies, so
    a killed run never leaves a stale lock."""
    path = settings.build_db.parent / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BuildLocked(
                f"another run is using {settings.build_db.parent} ({holder}): wait for it to finish, or use another "
                "DATA_DIR"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {dt.datetime.now().isoformat(timespec='seconds')}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_build(
    settings: Settings,
    first_day: dt.date,
    last_day: dt.date,
    fresh: bool = True,
    job_name: str = "build",
    command: str = "build",
    verbose: bool = False,
) -> int:
    try:
        with build_lock(settings):
            if not fresh:  # a daily / backfill adds to the build database: check it fits (preflight.py)
                from dagster_project.preflight import check_run

                check_run(settings, first_day, last_day, command)
            return _run_build(settings, first_day, last_day, fresh, job_name, verbose)
    except BuildLocked as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run_build(
    settings: Settings, first_day: dt.date, last_day: dt.date, fresh: bool, job_name: str, verbose: bool
) -> int:
    from dagster_project.run_log import chatter_to, new_log

    started = time.perf_counter()
    if fresh:  # a full build starts from an empty build database (the serving file is untouched)
        for suffix in ("", ".wal"):
            Path(str(settings.build_db) + suffix).unlink(missing_ok=True)
    ensure_manifest()
    log = new_log(settings, job_name)
    print(f"build: {settings.source} {first_day} .. {last_day} → {settings.build_db}", flush=True)
    with chatter_to(log, verbose):  # dbt's per-node lines, Dagster's events, library warnings
        from dagster import DagsterInstance

        from dagster_project.definitions import defs

        job = defs.resolve_job_def(job_name)
        console = {"log_level": "INFO", "quiet": not verbose, "log_file": str(log)}
        with DagsterInstance.get() as instance:
            result = job.execute_in_process(
                instance=instance,
                tags={
                    "dagster/asset_partition_range_start": first_day.isoformat(),
                    "dagster/asset_partition_range_end": last_day.isoformat(),
                },
                run_config={"loggers": {"console": {"config": console}}},
                raise_on_error=False,
            )
    from dagster_project.warehouse.summary import print_summary

    return print_summary(result, settings, time.perf_counter() - started, log)


# what each command does and the settings it reads: `--help` prints them (and runs nothing)
COMMANDS = {
    "build": (
        "the main job: ingest → dbt → quality gates → publish, from an empty build database (make build)",
        "SOURCE AS_OF SCALE SEED DIRTY SIM_START DATA_DIR LANDING_DIR SHOP_TZ QUARANTINE_TOLERANCE DBT_VARS "
        "DUCKDB_MEMORY_LIMIT DBT_THREADS PARTITIONS_START",
    ),
    "daily": (
        "what the schedule runs: load one day DATE into the existing build database, rebuild, publish (make daily)",
        "DATE (required), ALLOW_EMPTY_DAYS, and the settings of build",
    ),
    "backfill": (
        "load the days FROM..TO in one run into the existing build database, rebuild, publish (make backfill)",
        "FROM and TO (required), ALLOW_EMPTY_DAYS, and the settings of build",
    ),
    "prepare": (
        "parse the dbt project (and unpack the shipped sample for SOURCE=online_retail); builds nothing",
        "SOURCE AS_OF DATA_DIR LANDING_DIR",
    ),
}
EXIT_CODES = "exit codes: 0 done; 1 the run failed (nothing was published); 2 a bad setting or command line"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, like a bad setting, instead of usage + error
        self.exit(2, f"error: {message}: see python -m dagster_project.cli --help\n")


def parser() -> argparse.ArgumentParser:
    settings = 'settings are environment variables (make passes its variables on); README.md "Knobs" lists them'
    top = _Parser(
        prog="python -m dagster_project.cli",
        description="Build the loyalty warehouse. Without a command: build.",
        epilog=f"{settings}.\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbose = "print dbt's per-node log and every run event as they come (also VERBOSE=1); they always go to "
    verbose += "the run's log file, DATA_DIR/logs/"
    top.add_argument("-v", "--verbose", action="store_true", help=verbose)
    commands = top.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    for name, (summary, reads) in COMMANDS.items():
        command = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=f"reads: {reads}\n{settings}.\n{EXIT_CODES}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name != "prepare":  # SUPPRESS: `cli -v build` keeps the top-level flag
            command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=verbose)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or a bad command line (2): nothing else runs
        return int(done.code or 0)
    command = args.command or "build"
    try:
        settings = load_settings()
        ensure_writable(settings)
        configure_environment(settings)
        if command == "prepare":
            unpack_sample(settings, settings.as_of)
            ensure_manifest()
            return 0
        if command == "build":
            unpack_sample(settings, settings.as_of)
            first_day, last_day = partition_range(settings)
            return run_build(settings, first_day, last_day, verbose=args.verbose or settings.verbose)
        # daily / backfill: what the schedule / a backfill runs: keeps the build DB
        first_day, last_day = day_range(command, settings)
        unpack_sample(settings, last_day)
        os.environ["AS_OF"] = last_day.isoformat()  # the run's as-of day, for the Dagster resource
        settings = load_settings()
        verbose = args.verbose or settings.verbose
        return run_build(settings, first_day, last_day, fresh=False, job_name="daily", command=command, verbose=verbose)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    code = main()
    # Skip interpreter teardown: everything is written and closed by now, and duckdb 2.0's bindings print a
    # screen of "nanobind: leaked instance" noise when objects are still referenced at exit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
