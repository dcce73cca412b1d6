"""Bad settings stop the CLI (what every make target runs) with one line naming the setting and exit code 2,
before anything heavy is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_dbt

CASES = [
    ({"SOURCE": "shopify"}, "SOURCE='shopify' is unknown"),
    ({"AS_OF": "2026-13-01"}, "AS_OF='2026-13-01' is not a date"),
    ({"AS_OF": "2999-01-01"}, "AS_OF='2999-01-01' is in the future"),
    ({"SCALE": "lots"}, "SCALE='lots' is not a float"),
    ({"SEED": "-1"}, "SEED='-1' is out of range"),
    ({"DATA_DIR": "/proc/loyalty-warehouse"}, "DATA_DIR=/proc/loyalty-warehouse is not writable"),
    ({"DBT_VARS": '{"outreach_sms_cap": '}, "DBT_VARS is not JSON"),
    ({"DBT_VARS": '{"no_such_var": 1}'}, "DBT_VARS names unknown dbt var 'no_such_var'"),
    ({"SCHEDULE_TZ": "Mars/Olympus"}, "SCHEDULE_TZ='Mars/Olympus' is not a time zone"),
    ({"SHOP_TZ": "Asia/Shanghaii"}, "SHOP_TZ='Asia/Shanghaii' is not a time zone"),
    ({"SHOP_CURRENCY": "RMB"}, "SHOP_CURRENCY='RMB' is not an ISO 4217 currency code"),
    ({"DUCKDB_MEMORY_LIMIT": "lots"}, "DUCKDB_MEMORY_LIMIT='lots' is not an amount of memory"),
    ({"DUCKDB_MEMORY_LIMIT": "150%"}, "DUCKDB_MEMORY_LIMIT='150%' is not an amount of memory"),
    ({"DBT_THREADS": "0"}, "DBT_THREADS='0' is out of range"),
    ({"PARTITIONS_START": "2009-02-30"}, "PARTITIONS_START='2009-02-30' is not a date"),
    ({"PARTITIONS_START": "1900-01-01"}, "PARTITIONS_START='1900-01-01' is out of range"),
    ({"ALLOW_EMPTY_DAYS": "2026-06-01,june 2"}, "ALLOW_EMPTY_DAYS='june 2' is not a date"),
]


@pytest.mark.parametrize(("env", "message"), CASES, ids=[next(iter(env)) for env, _ in CASES])
def test_bad_setting_gives_one_line_and_exit_2(env, message):
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "build"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], done.stderr


def test_daily_without_date_names_the_setting():
    env = {k: v for k, v in os.environ.items() if k != "DATE"}
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "daily"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stderr.strip() == "error: DATE is not set: run e.g. make daily DATE=2026-06-30"


def _dbt_show_settings(tmp_path, memory_limit: str, threads: str) -> str:
    """What dbt (through dbt/profiles.yml) sees for the two settings: `dbt show` output."""
    return run_dbt(
        tmp_path / "dbt.duckdb",
        tmp_path,
        "show",
        "--inline",
        "select current_setting('memory_limit') as memory_limit",
        "--output",
        "json",
        env={"DUCKDB_MEMORY_LIMIT": memory_limit, "DBT_THREADS": threads},
    )


def _memory_limit(value: str | None) -> str:
    import duckdb

    con = duckdb.connect()
    if value is not None:
        con.execute(f"set memory_limit = '{value}'")
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_duckdb_memory_limit_and_dbt_threads_reach_dbt_and_the_pipelines_connections(tmp_path):
    """DUCKDB_MEMORY_LIMIT caps every DuckDB of a build: the pipeline's own connections (config=) and dbt's (the
    profile reads the variable the CLI exports); DBT_THREADS is dbt's thread count."""
    import duckdb

    from dagster_project.settings import load_settings

    settings = load_settings({"DUCKDB_MEMORY_LIMIT": "1.5gb", "DBT_THREADS": "3", "DATA_DIR": str(tmp_path / "data")})
    assert settings.duckdb_memory_limit == "1.5GB"
    limit = _memory_limit("1.5GB")
    with duckdb.connect(config=settings.duckdb_config) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() == (limit,)
    assert limit != _memory_limit(None)
    shown = _dbt_show_settings(tmp_path, settings.duckdb_memory_limit, str(settings.dbt_threads))
    assert f'"memory_limit": "{limit}"' in shown and "Concurrency: 3 threads" in shown, shown[-2000:]


def test_unset_settings_exported_empty_by_make_mean_the_defaults_in_dbt(tmp_path):
    """`make` exports a variable it does not have as an empty string: dbt must read that as the default (it
    failed CI once: "Could not convert value '' into type 'number'")."""
    shown = _dbt_show_settings(tmp_path, "", "")
    assert f'"memory_limit": "{_memory_limit("80%")}"' in shown and "Concurrency: 4 threads" in shown, shown[-2000:]


def test_the_dagster_resource_carries_the_shop_time_zone_to_the_run():
    # the loader converts offset timestamps to SHOP_TZ: a resource that dropped it would load them as UTC days
    from dagster_project.defs.resources import WarehouseResource
    from dagster_project.settings import load_settings

    settings = load_settings({"SHOP_TZ": "America/New_York"})
    assert WarehouseResource.from_settings(settings).settings().shop_tz == "America/New_York"


def test_shop_currency_defaults_to_cny_is_upper_cased_and_reaches_the_run():
    # the publish writes it into the serving file: a resource that dropped it would label every amount CNY
    from dagster_project.defs.resources import WarehouseResource
    from dagster_project.settings import load_settings

    assert load_settings({}).shop_currency == "CNY"
    assert load_settings({"SOURCE": "online_retail"}).shop_currency == "GBP"  # the shipped export is in pounds
    settings = load_settings({"SHOP_CURRENCY": " usd "})
    assert settings.shop_currency == "USD"
    assert WarehouseResource.from_settings(settings).settings().shop_currency == "USD"
