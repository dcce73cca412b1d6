"""CI smoke of the benchmark suite: the smallest simulator world, one run, through the real harness.

It checks that `python -m bench.run` still runs end to end and writes the result shape BENCHMARKS.md is built
from, and that the pipeline, the DuckDB floor and pandas agree. The numbers themselves come from `make bench`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent

REQUIRED = ("pipeline_full_s", "daily_s", "gates_s", "startup_s", "floor_s", "pandas_s", "peak_rss_mb")


def test_bench_smoke_writes_results_and_the_three_implementations_agree(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--datasets",
            "sim-0.1",
            "--runs",
            "1",
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
            "--daily-runs",
            "2",
        ],
        cwd=REPO,
        env={**os.environ, "BENCH_DATASETS": "", "BENCH_RUNS": "", "DBT_THREADS": "2", "DUCKDB_MEMORY_LIMIT": ""},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    [path] = list(out.glob("*.json"))
    results = json.loads(path.read_text())
    assert results["meta"]["machine"]["nproc"]
    # the settings that change a build at scale are recorded with the command
    assert results["meta"]["command"] == (
        "DBT_THREADS=2 make bench BENCH_DATASETS=sim-0.1 BENCH_RUNS=1 BENCH_DAILY_RUNS=2"
    )
    assert results["meta"]["settings"] == {"DBT_THREADS": "2"}
    figures = results["sim-0.1"]
    for key in REQUIRED:
        assert set(figures[key]) >= {"median", "runs"}, key
        assert len(figures[key]["runs"]) == 1, key
        if figures[key]["median"] is None:  # only allowed with a recorded reason (e.g. daily not built yet)
            assert figures[key].get("reason") or figures.get(key.removesuffix("_s") + "_null_reason"), key
    for key in ("pipeline_full_s", "gates_s", "startup_s", "floor_s", "pandas_s", "peak_rss_mb"):
        assert figures[key]["median"] > 0, key
    [agreement] = figures["agreement"]
    assert agreement["ok"], agreement["problems"]
    assert agreement["complete"], agreement["gaps"]  # both marts compared across all three implementations
    assert agreement["compared"] == ["floor", "pandas", "pipeline", "pipeline scorecard"]
    assert agreement["customers"] > 0 and agreement["scorecard_rows"] > 0
    assert figures["gates_ok"]
    assert figures["ingest_rows_per_s"]["median"] > 0
    assert figures["ratio_pipeline_to_floor"] > 0
    # the fair floor ran the same compiled models and computed the same marts, part by part beside the pipeline's
    assert figures["fair_floor_mismatches"] == [] and figures["fair_floor_marts"] >= 15
    for part in ("ingest", "dbt", "publish"):
        assert figures[f"fair_floor_{part}_s"]["median"] > 0 and figures[f"pipeline_{part}_s"]["median"] > 0, part
        assert figures[f"ratio_{part}_to_fair_floor"] > 0, part
    assert figures["ratio_full_to_fair_floor"] > 1  # the whole process also starts Python, Dagster, dbt and GX
    # the daily figure is the median of the daily runs (BENCH_DAILY_RUNS, here 2 of make bench's 3), one a day in a
    # row after the full build
    [days] = figures["daily_days_s"]["runs"]
    assert len(days) == 2 and all(d > 0 for d in days)
    assert figures["daily_s"]["median"] == figures["daily_days_s"]["median"] == sum(days) / 2
    log = (tmp_path / "work" / "sim-0.1" / "run" / "daily.log").read_text()
    ran = [line.split(" → ")[0] for line in log.splitlines() if line.startswith("build: ")]  # the CLI's own line
    assert ran == [f"build: simulator {day} .. {day}" for day in ("2026-07-01", "2026-07-02")]
    # the run's partial record holds every stage's figures once it completes (what a cut-short run leaves)
    partial = json.loads((tmp_path / "work" / "sim-0.1" / "run" / "partial.json").read_text())
    assert partial["pipeline_full_s"] == figures["pipeline_full_s"]["runs"][0]
    assert partial["ingest_rows_per_s"] == figures["ingest_rows_per_s"]["runs"][0]


def test_bench_ab_measures_a_full_build_and_a_daily_run_per_checkout(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench.ab", "sim-0.1", ".", "--work", str(tmp_path / "work")],
        cwd=REPO,
        env={**os.environ, "DBT_THREADS": "2", "DUCKDB_MEMORY_LIMIT": ""},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    run, medians = (json.loads(line) for line in done.stdout.strip().splitlines())
    assert run["run"] == 1 and run["dataset"] == "sim-0.1" and run["checkout"] == str(REPO)
    for key in ("full_s", "daily_s", "full_dbt_s", "daily_dbt_s", "full_rss_mb", "daily_rss_mb", "build_db_mb"):
        assert run[key] > 0, key
    assert run["daily_dbt_s"] < run["daily_s"] and run["full_dbt_s"] < run["full_s"]
    assert medians["median_of"] == 1 and medians["daily_s"] == run["daily_s"]
    assert not (tmp_path / "work" / "ab" / "sim-0.1").exists() or not any(
        (tmp_path / "work" / "ab" / "sim-0.1").iterdir()
    )
    bad = subprocess.run(
        [sys.executable, "-m", "bench.ab", "sim-0.1", str(tmp_path)], cwd=REPO, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "not a checkout of this repository" in bad.stderr.strip().splitlines()[-1]


def test_bench_replay_runs_daily_runs_on_one_saved_build_and_leaves_it_as_saved(tmp_path):
    work = tmp_path / "work"
    env = {**os.environ, "DBT_THREADS": "2", "DUCKDB_MEMORY_LIMIT": ""}

    def replay(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bench.replay", "sim-0.1", *args, "--work", str(work)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )

    missing = replay("daily", ".")
    assert missing.returncode == 2 and "no saved build" in missing.stderr.strip().splitlines()[-1]
    saved = replay("save", ".")
    assert saved.returncode == 0, (saved.stdout + saved.stderr)[-4000:]
    assert json.loads(saved.stdout)["full_s"] > 0
    folder = work / "replay" / "sim-0.1" / "saved"
    # every file of the saved folder, with its size and modification time: the daily runs must not touch them
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}
    daily = replay("daily", ".", "--runs", "2")
    assert daily.returncode == 0, (daily.stdout + daily.stderr)[-4000:]
    *runs, medians = (json.loads(line) for line in daily.stdout.strip().splitlines())
    assert [run["run"] for run in runs] == [1, 2]
    assert all(run["daily_s"] > 0 and 0 < run["daily_dbt_s"] < run["daily_s"] for run in runs)
    assert medians["median_of"] == 2
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()} == before
    # the second run published into a fresh copy: its serving file holds the same publishes as the first's
    with duckdb.connect(
        str(work / "replay" / "sim-0.1" / "run" / "serving" / "warehouse.duckdb"), read_only=True
    ) as con:
        assert con.execute("select count(distinct publish_id) from meta.publish_log").fetchone()[0] == 2
