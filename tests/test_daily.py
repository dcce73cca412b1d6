"""Equivalence: N days loaded one at a time through `cli daily` give the same marts as one full build.

Simulator: a 60-day world (SCALE=0.05) built to AS_OF-1, then 1 daily (a month end, so a month-end RFM snapshot
is appended), vs one build to AS_OF. Online Retail: 5 trading days built, then 1 daily, then one file that arrived
late is loaded by re-running its own day, vs one build of the 7 days. The retail runs use a
1-day incremental lookback, so the late day (3 trading days back) is re-processed only because the run loaded
it, and the as-of day must not move back to it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.conftest import run_cli

SIM = {"SCALE": "0.05", "SIM_START": "2026-05-02", "SOURCE": "simulator"}
VOLATILE = ("load_id", "_loaded_at", "loaded_at", "published_at", "publish_id", "source_ref", "processed_at")


def marts(serving: Path) -> dict[str, list[tuple]]:
    """Every table of schema marts, without run-specific columns, sorted."""
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        result = {}
        for table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = ? "
                    "order by column_index",
                    [table],
                ).fetchall()
                if c not in VOLATILE
            ]
            cols = ", ".join(f'"{c}"' for c in columns)
            result[table] = con.execute(f"select {cols} from marts.{table} order by all").fetchall()
    return result


def assert_same(full: dict, daily: dict) -> None:
    assert sorted(full) == sorted(daily)
    differing = [t for t in full if full[t] != daily[t]]
    assert not differing, f"marts differ between full build and dailies: {differing}"


def test_simulator_dailies_equal_full_build(tmp_path):
    full = run_cli(tmp_path / "full", "build", env={**SIM, "AS_OF": "2026-06-30"})
    assert full.returncode == 0, full.output[-3000:]
    step = run_cli(tmp_path / "step", "build", env={**SIM, "AS_OF": "2026-06-29"})
    assert step.returncode == 0, step.output[-3000:]
    run = run_cli(tmp_path / "step", "daily", env={**SIM, "AS_OF": "2026-06-30", "DATE": "2026-06-30"})
    assert run.returncode == 0, run.output[-3000:]
    assert_same(marts(full.serving_db), marts(step.serving_db))


def test_online_retail_dailies_equal_full_build(tmp_path, online_retail):
    days = sorted(online_retail.glob("*.csv"))[:7]
    full_landing, step_landing = tmp_path / "full-landing", tmp_path / "step-landing"
    for landing in (full_landing, step_landing):
        (landing / "online_retail").mkdir(parents=True)
    for path in days:
        shutil.copy(path, full_landing / "online_retail")
    env = {"SOURCE": "files", "DBT_VARS": '{"incremental_lookback_days": 1}'}
    full = run_cli(tmp_path / "full", "build", env={**env, "LANDING_DIR": str(full_landing)})
    assert full.returncode == 0, full.output[-3000:]
    late = days[3]  # arrives after the days that follow it
    for path in days[:6]:
        if path != late:
            shutil.copy(path, step_landing / "online_retail")
    step_env = {**env, "LANDING_DIR": str(step_landing)}
    step = run_cli(tmp_path / "step", "build", env=step_env)
    assert step.returncode == 0, step.output[-3000:]
    for path in days[6:]:
        shutil.copy(path, step_landing / "online_retail")
        run = run_cli(tmp_path / "step", "daily", env={**step_env, "DATE": path.stem})
        assert run.returncode == 0, run.output[-3000:]
    shutil.copy(late, step_landing / "online_retail")  # the late file: its own day is re-run (what the sensor asks)
    run = run_cli(tmp_path / "step", "daily", env={**step_env, "DATE": late.stem})
    assert run.returncode == 0, run.output[-3000:]
    assert_same(marts(full.serving_db), marts(step.serving_db))


def test_daily_runs_keep_only_the_newest_dbt_run_targets(tmp_path):
    """dagster-dbt leaves one target folder per run: a year of dailies must not fill the disk."""
    import os
    import time

    from dagster_project.defs.dbt.assets import prune_run_targets

    hour_ago = time.time() - 7200
    for day in range(15):
        folder = tmp_path / f"dbt_models-{day:02d}"
        folder.mkdir()
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (hour_ago + day, hour_ago + day))
    fresh = tmp_path / "dbt_models-now"  # a concurrent run's folder: too young to delete
    fresh.mkdir()
    os.utime(fresh, (hour_ago - 100, hour_ago - 100))
    os.utime(fresh, None)
    (tmp_path / "partial_parse.msgpack").write_text("kept")
    prune_run_targets(tmp_path, keep=10)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        "dbt_models-06",
        *[f"dbt_models-{d:02d}" for d in range(7, 15)],
        "dbt_models-now",
        "partial_parse.msgpack",
    ]
