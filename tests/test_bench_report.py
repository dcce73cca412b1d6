"""bench.report: the BENCHMARKS.md table from result files. The daily figure pools every daily run (three a day in a
row after each full build), across runs and across result files; older files with one daily run a run still read."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.report import render
from bench.run import summarise
from dagster_project.settings import REPO_ROOT

MACHINE = {
    "nproc": "2",
    "cpu": "cpu",
    "memory": "23Gi",
    "python": "3.11",
    "duckdb": "2.0.0",
    "load_at_start": [0, 0, 0],
}
AGREED = {"ok": True, "complete": True, "customers": 10, "scorecard_rows": 2, "compared": ["floor"], "problems": []}


def run(full: float, days: list[float] | None, daily: float | None = None) -> dict:
    figures = dict.fromkeys(("gates_s", "startup_s", "floor_s", "pandas_s", "peak_rss_mb", "ingest_rows_per_s"), 1.0)
    figures.update(pipeline_full_s=full, agreement=AGREED, gates_ok=True, pipeline_mode="cli build")
    if days is not None:
        figures.update(daily_days_s=days, daily_s=sorted(days)[len(days) // 2])
    else:
        figures.update(daily_s=daily)
    return figures


def write(path, name: str, runs: list[dict]):
    meta = {"command": "make bench", "started_at": "2026-11-25T00:00:00+00:00", "machine": MACHINE}
    path.write_text(json.dumps({"meta": meta, name: summarise(runs)}))
    return path


def row(text: str, name: str) -> list[str]:
    [line] = [line for line in text.splitlines() if line.startswith(f"| {name} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_daily_figure_is_every_daily_run_pooled_across_runs_and_files(tmp_path):
    one = write(tmp_path / "a.json", "tpch-sf10", [run(1000.0, [90.0, 120.0, 95.0])])
    cells = row(render([one]), "tpch-sf10")
    assert cells[1] == "1 (3 daily)" and cells[3] == "95.0 (90.0–120.0)"  # median of the three days, their range
    # a second file of the same dataset: its daily runs join the first's (median of six)
    two = write(tmp_path / "b.json", "tpch-sf10", [run(1000.0, [80.0, 101.0, 150.0])])
    text = render([one, two])
    cells = row(text, "tpch-sf10")
    assert cells[1] == "2 (6 daily)" and cells[3] == "98.0 (80.0–150.0)"
    # the daily target reads the same pooled median: 98.0 s of a 1,000 s full build
    assert "| tpch-sf10 daily run ≤ 10% of full build | **met** | 9.8% |" in text


def test_result_files_with_one_daily_run_a_run_still_render(tmp_path):
    old = write(
        tmp_path / "old.json", "sim-50", [run(100.0, None, 50.0), run(110.0, None, 52.0), run(90.0, None, 51.0)]
    )
    text = render([old])
    cells = row(text, "sim-50")
    assert cells[1] == "3" and cells[3] == "51.0 (50.0–52.0)"
    assert "| sim-50 daily run ≤ 10% of full build | **missed** | 51.0% |" in text


def report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench.report", *args], cwd=REPO_ROOT, capture_output=True, text=True)


VALID = object()  # a result file bench.run would write, holding sim-1 only


@pytest.mark.parametrize(
    ("content", "selector", "error"),
    [
        (None, "", "no result file {path}"),
        ('{"meta": {', "", "{path} is not a bench result file: not JSON (Expecting property name"),
        (b"\x89PNG\r\n", "", "{path} is not a bench result file: not JSON ('utf-8' codec can't decode"),
        ("[1, 2]", "", '{path} is not a bench result file: no "meta" object at the top'),
        (VALID, ":sim-1,sim-99", "{path} has no dataset sim-99 (it has: sim-1)"),
    ],
    ids=["missing", "not-json", "binary", "no-meta", "unknown-dataset"],
)
def test_a_bad_result_file_or_dataset_is_one_line_naming_it_and_the_table_is_untouched(
    tmp_path, content, selector, error
):
    path = tmp_path / "bad.json"
    if content is VALID:
        write(path, "sim-1", [run(30.0, [27.0])])
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    before = (REPO_ROOT / "BENCHMARKS.md").read_bytes()
    done = report(f"{path}{selector}")
    assert done.returncode == 2, done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m bench.report: error: " + error.format(path=path)), last
    assert "Traceback" not in done.stderr
    assert (REPO_ROOT / "BENCHMARKS.md").read_bytes() == before


def test_a_row_names_every_machine_its_pooled_runs_ran_on(tmp_path):
    one = write(tmp_path / "a.json", "sim-1", [run(30.0, [28.0])])
    assert row(render([one]), "sim-1")[-1] == "cpu"
    other = json.loads(one.read_text())
    other["meta"]["machine"] = {**MACHINE, "cpu": "AMD EPYC"}
    two = tmp_path / "b.json"
    two.write_text(json.dumps(other))
    # pooled runs from two machines: the row says so instead of passing for one machine's figures
    assert row(render([one, two]), "sim-1")[-1] == "cpu + AMD EPYC"


def fair(full: float, mismatches: list[str] | None = None) -> dict:
    figures = run(full, [10.0])
    figures.update(
        pipeline_ingest_s=30.0,
        pipeline_dbt_s=60.0,
        pipeline_publish_s=10.0,
        fair_floor_s=80.0,
        fair_floor_ingest_s=15.0,
        fair_floor_dbt_s=55.0,
        fair_floor_publish_s=10.0,
        fair_floor_marts=20,
        fair_floor_mismatches=mismatches or [],
    )
    return figures


def test_the_fair_floor_table_gives_each_part_its_ratio_and_the_sf1_targets_read_it(tmp_path):
    text = render([write(tmp_path / "a.json", "tpch-sf1", [fair(100.0)])])
    [line] = [line for line in text.splitlines() if line.startswith("| tpch-sf1 | 100.0 | 80.0 |")]
    cells = [c.strip() for c in line.strip("|").split("|")]
    # full build 100 vs 80, ingest 30 vs 15, dbt 60 vs 55, publish 10 vs 10
    assert cells[3] == "1.2×" and cells[6] == "2.0×" and cells[9] == "1.1×" and cells[12] == "1.0×"
    assert cells[-1] == "20 marts"
    assert "| TPC-H SF1 full build ≤ 1.25× its fair floor | **met** | 1.2× |" in text
    assert "| TPC-H SF1 ingest ≤ 1.5× its fair floor | **missed** | 2.0× |" in text


def test_a_fair_floor_whose_marts_differ_shows_no_times_and_no_verdict(tmp_path):
    text = render([write(tmp_path / "a.json", "tpch-sf1", [fair(100.0, ["marts.dim_customers: rows differ"])])])
    assert "| tpch-sf1 | floor marts differ: marts.dim_customers: rows differ |" in text
    assert "| TPC-H SF1 full build ≤ 1.25× its fair floor | not measured | — |" in text
