"""`make bench`: full build, daily run, gates, start-up and ingest per dataset, beside the DuckDB floor and pandas.

    make bench BENCH_DATASETS=sim-1,tpch-sf1 BENCH_RUNS=3
    python -m bench.run --datasets sim-1 --runs 1 --out bench/results   (what the CI smoke runs)

Every figure is measured in a subprocess (wall time, peak RSS of the process tree); each run starts from a fresh
DATA_DIR. The floor and pandas read the same raw rows the pipeline loaded (the build DB's `raw` schema exported
to Parquet). Times are reported only for datasets where pipeline, floor and pandas agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bench import compare, measure, tpch
from dagster_project.settings import REPO_ROOT
from dagster_project.sources.contract import RAW_TABLES

PY = sys.executable
SIM_AS_OF = dt.date(2026, 6, 30)  # same world as the test suite
DAILY_RUNS = len(tpch.DAILY_DAYS)  # daily runs after each full build, one a day in a row (their median is daily_s)
METRICS = ("pipeline_full_s", "daily_s", "gates_s", "startup_s", "floor_s", "pandas_s", "peak_rss_mb")
EXTRA = (
    "fair_floor_s",
    "fair_floor_ingest_s",
    "fair_floor_dbt_s",
    "fair_floor_publish_s",
    "fair_floor_peak_rss_mb",
    "pipeline_ingest_s",
    "pipeline_dbt_s",
    "pipeline_publish_s",
    "daily_peak_rss_mb",
    "gates_dbt_test_s",
    "gates_gx_s",
    "floor_peak_rss_mb",
    "pandas_peak_rss_mb",
    "ingest_rows_per_s",
    "ingest_fetch_s",
    "ingest_load_s",
    "startup_interpreter_s",
    "startup_definitions_s",
    "startup_dbt_parse_s",
    "startup_dbt_parse_full_s",
    "startup_gx_s",
    "startup_executor_s",
)
STARTUP_PARTS = ("interpreter", "definitions", "dbt_parse", "gx", "executor")


@dataclass(frozen=True)
class Dataset:
    name: str
    kind: str  # "sim" or "tpch"
    size: float  # SCALE or TPC-H scale factor

    @property
    def as_of(self) -> dt.date:
        return SIM_AS_OF if self.kind == "sim" else tpch.AS_OF

    @property
    def daily_days(self) -> tuple[dt.date, ...]:
        """The days of the daily runs after a full build: the DAILY_RUNS days after its as-of day."""
        if self.kind == "tpch":
            return tpch.DAILY_DAYS
        return tuple(self.as_of + dt.timedelta(days=n) for n in range(1, DAILY_RUNS + 1))


DATASETS = {
    d.name: d
    for d in (
        Dataset("sim-1", "sim", 1),
        Dataset("sim-10", "sim", 10),
        Dataset("sim-50", "sim", 50),
        Dataset("tpch-sf1", "tpch", 1),
        Dataset("tpch-sf10", "tpch", 10),
    )
}


def dataset(name: str) -> Dataset:
    """One of DATASETS, or any `sim-<SCALE>` (e.g. sim-0.1 for the CI smoke) / `tpch-sf<N>`."""
    if name in DATASETS:
        return DATASETS[name]
    for prefix, kind in (("sim-", "sim"), ("tpch-sf", "tpch")):
        if name.startswith(prefix):
            try:
                size = float(name.removeprefix(prefix))
            except ValueError:
                break
            if size > 0 and (kind == "sim" or size == int(size)):
                return Dataset(name, kind, int(size) if size == int(size) else size)
    raise ValueError(name)


def files_source_ready() -> bool:
    return (REPO_ROOT / "dagster_project" / "sources" / "files.py").exists()


def daily_command_ready() -> bool:
    """The checkout's CLI has `daily` (its --help runs nothing and exits 0; an unknown command exits 2)."""
    done = subprocess.run([PY, "-m", "dagster_project.cli", "daily", "--help"], cwd=REPO_ROOT, capture_output=True)
    return done.returncode == 0


def machine() -> dict:
    def sh(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    lscpu = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in sh("lscpu").splitlines())}
    return {
        "nproc": sh("nproc"),
        "cpu": lscpu.get("Model name", platform.processor()),
        "memory": sh("free", "-h").splitlines()[1].split()[1] if sh("free", "-h") else "",
        "free_h": sh("free", "-h"),
        "load_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


class Bench:
    def __init__(self, work: Path, runs: int, pandas_mem_gb: float, daily_runs: int = DAILY_RUNS) -> None:
        self.work = work
        self.runs = runs
        self.daily_count = daily_runs  # daily runs after each full build (the CI smoke makes fewer)
        self.pandas_mem_gb = pandas_mem_gb
        self.home = work / "dagster_home"
        self.home.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", self.home / "dagster.yaml")
        self.target = work / "dbt_target"  # the gates' and start-up's own dbt target, not the checkout's

    def env(self, dataset: Dataset, data_dir: Path, as_of: dt.date) -> dict[str, str]:
        env = {
            "AS_OF": as_of.isoformat(),
            "DATA_DIR": str(data_dir),
            "DAGSTER_HOME": str(self.home),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DAGSTER_DISABLE_TELEMETRY": "1",
            "GX_ANALYTICS_ENABLED": "false",
            "DIRTY": "0",
            "SIM_START": "",
            "DATE": "",
            "FROM": "",
            "TO": "",
        }
        if dataset.kind == "sim":
            env.update(SOURCE="simulator", SCALE=str(dataset.size))
        else:
            env.update(SOURCE="files", LANDING_DIR=str(self.landing(dataset)))
        return env

    # --- datasets ------------------------------------------------------------------------------------------
    def mapped(self, dataset: Dataset) -> Path:
        return self.work / dataset.name / "mapped"

    def landing(self, dataset: Dataset) -> Path:
        return self.work / dataset.name / "landing"

    def next_day(self, dataset: Dataset) -> Path:
        """TPC-H: the daily runs' files (tpch.DAILY_DAYS), dropped into the landing folder for the daily runs only."""
        return self.work / dataset.name / "next_day"

    def prepare(self, dataset: Dataset) -> dict:
        """Untimed set-up: TPC-H generation and mapping onto the raw contract (cached between bench runs)."""
        if dataset.kind != "tpch":
            return {}
        started = time.perf_counter()
        raw_tpch = tpch.generate(int(dataset.size), self.work / "tpch" / f"sf{int(dataset.size)}")
        mapped = self.mapped(dataset)
        if not (mapped / ".complete").exists():
            counts = tpch.map_to_raw(raw_tpch, mapped)
            (mapped / "counts.json").write_text(json.dumps(counts))
            (mapped / ".complete").write_text("ok")
        counts = json.loads((mapped / "counts.json").read_text())
        landed = {}
        if files_source_ready():
            landing, next_day = self.landing(dataset), self.next_day(dataset)
            # the marker names the days held out for the daily runs: a landing cut for other days is written again
            cut = f"as of {tpch.AS_OF}, daily runs on {', '.join(map(str, tpch.DAILY_DAYS))}"
            marker = landing / ".complete"
            if not marker.exists() or marker.read_text() != cut:
                shutil.rmtree(landing, ignore_errors=True)
                shutil.rmtree(next_day, ignore_errors=True)
                landed = tpch.write_landing(mapped, landing, next_day)
                (landing.parent / "landed.json").write_text(json.dumps(landed))
                marker.write_text(cut)
            landed = json.loads((landing.parent / "landed.json").read_text())
        return {"raw_rows": counts, "landed_rows": landed, "prepare_s": time.perf_counter() - started}

    # --- one run -------------------------------------------------------------------------------------------
    def full_build(self, dataset: Dataset, data_dir: Path, cwd: Path = REPO_ROOT) -> tuple[measure.Measured, str]:
        if dataset.kind == "tpch" and not files_source_ready():
            args = [PY, "-m", "bench.direct", str(self.mapped(dataset))]
            mode = "direct: mapped raw tables loaded with warehouse.raw.load_table, then the build job minus ingest"
        else:
            args = [PY, "-m", "dagster_project.cli", "build"]
            mode = "python -m dagster_project.cli build"
        return measure.run(args, env=self.env(dataset, data_dir, dataset.as_of), cwd=cwd), mode

    def daily_runs(
        self, dataset: Dataset, data_dir: Path, cwd: Path = REPO_ROOT, days: int = DAILY_RUNS
    ) -> list[tuple[dt.date, measure.Measured]]:
        """`cli daily` for each of the first `days` of `dataset.daily_days`, in order, on the full build's DATA_DIR,
        as the daily schedule runs them (TPC-H: each day's files dropped into the landing folder before its run).
        Stops after a failed run."""
        done: list[tuple[dt.date, measure.Measured]] = []
        dropped: list[Path] = []
        try:
            for day in dataset.daily_days[:days]:
                dropped += self.drop_day(dataset, day)
                run = measure.run(
                    [PY, "-m", "dagster_project.cli", "daily"],
                    env={**self.env(dataset, data_dir, day), "DATE": day.isoformat()},
                    cwd=cwd,
                )
                done.append((day, run))
                if run.returncode != 0:
                    break
        finally:
            for path in dropped:  # the landing folder is shared by the next run's full build
                path.unlink()
        return done

    def run_once(self, dataset: Dataset) -> dict:
        # the same folder every run, emptied first: like a user's repeated `make build` in one DATA_DIR, each
        # build finds dbt's partial-parse state of the last one (a new path per run made every full build pay
        # dbt's full re-parse, ~4 s, which `make build` only pays the first time)
        run_dir = self.work / dataset.name / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        data_dir = run_dir / "data"
        out: dict = {}
        full, out["pipeline_mode"] = self.full_build(dataset, data_dir)
        (run_dir / "full_build.log").write_text(full.stdout + full.stderr)
        if full.returncode != 0:
            raise SystemExit(f"error: full build of {dataset.name} failed:\n{(full.stdout + full.stderr)[-3000:]}")
        out["pipeline_full_s"], out["peak_rss_mb"] = full.wall_s, full.peak_rss_mb
        keep(run_dir, out)
        build_db = data_dir / "build" / "warehouse.duckdb"
        serving_db = data_dir / "serving" / "warehouse.duckdb"

        # baselines read the raw rows the pipeline loaded
        raw_dir = run_dir / "raw_parquet"
        export_raw(build_db, raw_dir)
        out.update(self.fair_floor(dataset, build_db, raw_dir, run_dir))
        keep(run_dir, out)
        floor = measure.run(
            [PY, "-m", "bench.baselines.floor", str(raw_dir), dataset.as_of.isoformat(), str(run_dir / "floor")],
            cwd=REPO_ROOT,
        )
        if floor.returncode != 0:
            raise SystemExit(f"error: floor baseline failed on {dataset.name}:\n{floor.stderr[-2000:]}")
        out["floor_s"], out["floor_peak_rss_mb"] = floor.wall_s, floor.peak_rss_mb
        pandas_run = measure.run(
            [PY, "-m", "bench.baselines.pandas_rfm", str(raw_dir), dataset.as_of.isoformat(), str(run_dir / "pandas")],
            cwd=REPO_ROOT,
            preexec_fn=self._limit_memory,
        )
        pandas_ok = pandas_run.returncode == 0
        out["pandas_s"] = pandas_run.wall_s if pandas_ok else None
        out["pandas_peak_rss_mb"] = pandas_run.peak_rss_mb
        if not pandas_ok:
            tail = pandas_run.json_tail().get("error") or (pandas_run.stderr.strip().splitlines() or ["?"])[-1]
            out["pandas_null_reason"] = f"{tail} (address space limited to {self.pandas_mem_gb:g} GB)"
        out["agreement"] = compare.agree(run_dir / "floor", run_dir / "pandas" if pandas_ok else None, serving_db)
        keep(run_dir, out)

        # the gates alone, on the built database
        gates = measure.run([PY, "-m", "bench.gates"], env=self.env(dataset, data_dir, dataset.as_of), cwd=REPO_ROOT)
        (run_dir / "gates.log").write_text(gates.stdout + gates.stderr)
        split = gates.json_tail()
        out["gates_s"] = gates.wall_s
        out["gates_dbt_test_s"], out["gates_gx_s"] = split.get("dbt_test_s"), split.get("gx_s")
        out["gates_checks"] = split.get("checks")
        out["gates_ok"] = bool(split.get("dbt_test_ok") and split.get("gx_ok"))
        if not out["gates_ok"]:
            failed = split.get("dbt_test_failed", []) + split.get("gx_failed", [])
            out["gates_output"] = f"failed: {failed}" if split else gates.stderr[-600:]
        keep(run_dir, out)

        # daily incremental runs on top of the full build, one a day (BENCH_DAILY_RUNS days): daily_s is their median
        if daily_command_ready():
            dailies = self.daily_runs(dataset, data_dir, days=self.daily_count)
            (run_dir / "daily.log").write_text(
                "".join(f"--- daily run of {day}\n{run.stdout}{run.stderr}" for day, run in dailies)
            )
            failed = [(day, run) for day, run in dailies if run.returncode != 0]
            if not failed:
                out["daily_days_s"] = [run.wall_s for _, run in dailies]
                out["daily_s"] = statistics.median(out["daily_days_s"])
                out["daily_peak_rss_mb"] = max(run.peak_rss_mb for _, run in dailies)
            else:
                day, run = failed[0]
                out["daily_s"] = None
                out["daily_null_reason"] = f"cli daily failed on {day}: " + (run.stdout + run.stderr).strip()[-300:]
        else:
            out["daily_s"] = None
            out["daily_null_reason"] = "`python -m dagster_project.cli daily` does not exist in this checkout yet"

        keep(run_dir, out)
        out.update(self.startup())
        keep(run_dir, out)
        # the ingest measurement writes a fresh raw database: free the run's build files and raw export first (at
        # TPC-H SF10 they are ~40 GB, and the measurement ran out of disk beside them)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(raw_dir, ignore_errors=True)
        out.update(self.ingest(dataset, run_dir))
        keep(run_dir, out)
        return out

    def fair_floor(self, dataset: Dataset, build_db: Path, raw_dir: Path, run_dir: Path) -> dict:
        """The full build's parts (Dagster steps of its run) beside the same work done by the simplest correct
        means (bench/baselines/fair_floor.py), run on the build database before any daily run changes it."""
        from bench import steps

        [run] = steps.summarise(self.home, REPO_ROOT / "dbt" / "target", runs=1, top=1)
        if not run["dbt"]:
            raise SystemExit(f"error: fair floor on {dataset.name}: the full build's dbt target folder is gone")
        seconds = {step["step"]: step["s"] for step in run["steps"]}
        landing = self.landing(dataset) if dataset.kind == "tpch" and files_source_ready() else raw_dir
        done = measure.run(
            [PY, "-m", "bench.baselines.fair_floor", str(build_db), run["dbt"]["folder"], str(landing)]
            + [str(run_dir / "fair_floor")],
            cwd=REPO_ROOT,
        )
        if done.returncode != 0:
            raise SystemExit(f"error: fair floor failed on {dataset.name}:\n{done.stderr[-2000:]}")
        floor = done.json_tail()
        shutil.rmtree(run_dir / "fair_floor", ignore_errors=True)
        out = {
            "fair_floor_s": floor["total_s"],
            "fair_floor_ingest_s": floor["ingest_s"],
            "fair_floor_dbt_s": floor["dbt_s"],
            "fair_floor_publish_s": floor["publish_s"],
            "fair_floor_peak_rss_mb": done.peak_rss_mb,
            "fair_floor_marts": floor["marts_compared"],
            "fair_floor_mismatches": floor["mismatches"],
            "pipeline_ingest_s": seconds.get("raw__extract"),
            "pipeline_dbt_s": seconds.get("dbt_models"),
            "pipeline_publish_s": seconds.get("serving__warehouse"),
        }
        return out

    def drop_day(self, dataset: Dataset, day: dt.date) -> list[Path]:
        """TPC-H: land the files of a daily run's day (as a shop's export would arrive); the simulator makes the
        day itself."""
        if dataset.kind != "tpch" or not self.next_day(dataset).is_dir():
            return []
        dropped = []
        for source in sorted(self.next_day(dataset).glob(f"*/*-{day}.parquet")):
            target = self.landing(dataset) / source.parent.name / source.name
            target.parent.mkdir(exist_ok=True)
            os.link(source, target)
            dropped.append(target)
        return dropped

    def _limit_memory(self) -> None:
        limit = int(self.pandas_mem_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def startup(self) -> dict:
        if not (self.target / "manifest.json").exists():  # warm partial parse, as a real build has
            subprocess.run([PY, "-m", "bench.startup", "dbt_parse", str(self.target)], cwd=REPO_ROOT, check=True)
        out = {}
        bare = measure.run([PY, "-c", "pass"])
        out["startup_interpreter_s"] = bare.wall_s
        for part in ("definitions", "dbt_parse", "dbt_parse_full", "gx", "executor"):
            target = str(self.target if part == "dbt_parse" else self.work / "dbt_target_full")
            done = measure.run([PY, "-m", "bench.startup", part, target], cwd=REPO_ROOT)
            if done.returncode != 0:
                raise SystemExit(f"error: start-up component {part} failed:\n{done.stderr[-2000:]}")
            out[f"startup_{part}_s"] = done.json_tail()["s"]
        out["startup_s"] = sum(out[f"startup_{p}_s"] for p in STARTUP_PARTS)
        return out

    def ingest(self, dataset: Dataset, run_dir: Path) -> dict:
        if dataset.kind == "sim":
            args = [PY, "-m", "bench.ingest", "sim", str(dataset.size)]
        else:
            args = [PY, "-m", "bench.ingest", "files", str(self.landing(dataset))]
        done = measure.run(args + [dataset.as_of.isoformat(), str(run_dir / "ingest.duckdb")], cwd=REPO_ROOT)
        if done.returncode != 0:
            raise SystemExit(f"error: ingest measurement failed on {dataset.name}:\n{done.stderr[-2000:]}")
        result = done.json_tail()
        return {
            "ingest_rows": result["rows"],
            "ingest_rows_per_s": result["rows_per_s"],
            "ingest_fetch_s": result["fetch_s"],
            "ingest_load_s": result["load_s"],
            "ingest_peak_rss_mb": done.peak_rss_mb,
        }


def keep(run_dir: Path, out: dict) -> None:
    """The figures of this run so far, in `<run>/partial.json`: a long run (TPC-H SF10 takes over an hour) that is
    stopped or fails part-way still leaves what it measured; the result file is written once the run completes."""
    tmp = run_dir / "partial.json.tmp"
    tmp.write_text(json.dumps(out, indent=2, default=str))
    os.replace(tmp, run_dir / "partial.json")


def export_raw(build_db: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(build_db), read_only=True) as con:
        con.execute("set enable_progress_bar = false")
        for table in RAW_TABLES:
            con.execute(f"copy raw.{table} to '{out_dir / table}.parquet' (format parquet)")


def summarise(runs: list[dict]) -> dict:
    """Median with min, max and the runs beside it, for every figure; null figures keep their reason."""
    out: dict = {}
    for key in METRICS + EXTRA + ("ingest_rows", "ingest_peak_rss_mb"):
        values = [r.get(key) for r in runs]
        numbers = [v for v in values if v is not None]
        if not numbers:
            reason = next((r.get(key.removesuffix("_s") + "_null_reason") for r in runs), None)
            out[key] = {"median": None, "runs": values, "reason": reason}
            continue
        out[key] = {
            "median": statistics.median(numbers),
            "min": min(numbers),
            "max": max(numbers),
            "runs": values,
        }
    # every daily run of every run (BENCH_DAILY_RUNS days after each full build), pooled: the table's daily figure
    days = [r.get("daily_days_s") for r in runs]
    every_day = [value for run_days in days if run_days for value in run_days]
    if every_day:
        out["daily_days_s"] = {
            "median": statistics.median(every_day),
            "min": min(every_day),
            "max": max(every_day),
            "runs": days,
        }
    out["agreement"] = [r["agreement"] for r in runs]
    out["agree"] = all(a["ok"] for a in out["agreement"])
    out["complete"] = all(a["complete"] for a in out["agreement"])
    out["gates_ok"] = all(r["gates_ok"] for r in runs)
    out["pipeline_mode"] = runs[0]["pipeline_mode"]
    for key in ("pandas_null_reason", "daily_null_reason", "gates_output"):
        reasons = sorted({r[key] for r in runs if key in r})
        if reasons:
            out[key] = reasons
    # the fair floor must have computed the same marts: a floor that computes something else is not a floor
    out["fair_floor_mismatches"] = sorted({m for r in runs for m in r.get("fair_floor_mismatches", [])})
    out["fair_floor_marts"] = min((r.get("fair_floor_marts", 0) for r in runs), default=0)
    fair = {k: out[k]["median"] for k in EXTRA if k.startswith(("fair_floor_", "pipeline_"))}
    if not out["fair_floor_mismatches"] and out["fair_floor_marts"]:
        for part, pipeline, floor in (
            ("full", out["pipeline_full_s"]["median"], fair["fair_floor_s"]),
            ("ingest", fair["pipeline_ingest_s"], fair["fair_floor_ingest_s"]),
            ("dbt", fair["pipeline_dbt_s"], fair["fair_floor_dbt_s"]),
            ("publish", fair["pipeline_publish_s"], fair["fair_floor_publish_s"]),
        ):
            if pipeline and floor:
                out[f"ratio_{part}_to_fair_floor"] = pipeline / floor
    median = {k: out[k]["median"] for k in METRICS}
    if median["pipeline_full_s"] and median["floor_s"]:
        out["ratio_pipeline_to_floor"] = median["pipeline_full_s"] / median["floor_s"]
    if median["pipeline_full_s"] and median["pandas_s"]:
        out["ratio_pandas_to_pipeline"] = median["pandas_s"] / median["pipeline_full_s"]
    return out


def setting(name: str, kind: type, low: float, high: float | None = None, why: str = ""):
    """An argparse type for a number set by flag or by `name` in the environment: a value that is not a number of
    `kind` from low to high (a float: above low) is argparse's one-line error naming the setting and the value."""
    wanted = ("a whole number" if kind is int else "a number") + (
        f" from {low:g} to {high:g}" if high is not None else (f" >= {low:g}" if kind is int else f" > {low:g}")
    )

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        fits = value is not None and (value >= low if kind is int else value > low) and (high is None or value <= high)
        if not fits:
            raise argparse.ArgumentTypeError(f"{name} must be {wanted}{why}, not {text!r}")
        return value

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    env = os.environ.get
    # string defaults: argparse runs them through `type` too, so a bad BENCH_* value is the same one-line error
    parser.add_argument("--datasets", default=env("BENCH_DATASETS") or "sim-1,tpch-sf1")
    parser.add_argument("--runs", type=setting("BENCH_RUNS", int, 1), default=env("BENCH_RUNS") or "3")
    parser.add_argument("--work", type=Path, default=Path(env("BENCH_WORK") or "/tmp/loyalty-bench"))
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    parser.add_argument(
        "--daily-runs",
        type=setting("BENCH_DAILY_RUNS", int, 1, DAILY_RUNS, " (the days held out of a TPC-H full build)"),
        default=env("BENCH_DAILY_RUNS") or str(DAILY_RUNS),
    )
    parser.add_argument(
        "--pandas-mem-gb", type=setting("BENCH_PANDAS_MEM_GB", float, 0), default=env("BENCH_PANDAS_MEM_GB") or "16"
    )
    args = parser.parse_args(argv)
    unknown = []
    for name in args.datasets.split(","):
        try:
            dataset(name)
        except ValueError:
            unknown.append(name)
    if unknown:
        parser.error(f"BENCH_DATASETS has unknown dataset(s) {', '.join(unknown)}: use {', '.join(DATASETS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args.work, args.runs, args.pandas_mem_gb, args.daily_runs)
    # the settings that change what a build does at scale are part of the command that was run
    knobs = {name: os.environ[name] for name in ("DBT_THREADS", "DUCKDB_MEMORY_LIMIT") if os.environ.get(name)}
    prefix = "".join(f"{name}={value} " for name, value in knobs.items())
    command = f"{prefix}make bench BENCH_DATASETS={args.datasets} BENCH_RUNS={args.runs}"
    if args.daily_runs != DAILY_RUNS:
        command += f" BENCH_DAILY_RUNS={args.daily_runs}"
    results: dict = {
        "meta": {
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": command,
            "settings": knobs,
            "argv": [sys.executable, "-m", "bench.run", *(argv if argv is not None else sys.argv[1:])],
            "machine": machine(),
            "files_source": files_source_ready(),
            "daily_command": daily_command_ready(),
        }
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    path = args.out / f"{stamp}.json"
    status = 0
    for name in args.datasets.split(","):
        chosen = dataset(name)
        print(f"bench: {name}: preparing", flush=True)
        prepared = bench.prepare(chosen)
        runs = []
        for index in range(args.runs):
            started = time.perf_counter()
            runs.append(bench.run_once(chosen))
            print(
                f"bench: {name}: run {index + 1}/{args.runs} done in {time.perf_counter() - started:.0f}s "
                f"(full build {runs[-1]['pipeline_full_s']:.1f}s)",
                flush=True,
            )
            results[name] = {**summarise(runs), **prepared}  # written after every run: a cut-short bench
            tmp = path.with_suffix(".json.tmp")  # still leaves what it measured
            tmp.write_text(json.dumps(results, indent=2, default=str))
            os.replace(tmp, path)
        if not results[name]["agree"]:
            status = 1
            print(f"bench: {name}: implementations DISAGREE: {results[name]['agreement'][0]['problems']}", flush=True)
        elif results[name]["fair_floor_mismatches"]:
            status = 1
            print(f"bench: {name}: the fair floor's marts DIFFER: {results[name]['fair_floor_mismatches'][:3]}")
        elif not results[name]["complete"]:
            print(f"bench: {name}: not fully compared: {results[name]['agreement'][0]['gaps']}", flush=True)
    print(f"bench: results in {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
