"""Real-world daily operation (issue #43) on tiny hand-made landing folders: a late parent, gifts and sub-cent prices,
AS_OF with SOURCE=files, history before 2010 (PARTITIONS_START) on one build and one daily run; a missing day and a
mixed source are refused by the CLI before Dagster starts (a few seconds each)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project import preflight
from dagster_project.settings import SettingsError, load_settings
from dagster_project.sources import files
from tests.conftest import REPO, run_cli

CUSTOMERS = (
    "customer_id,signup_date,birth_year,gender,province,city,acquisition_channel,phone,email\n"
    "C1,2009-05-01,1990,F,,,web,,\n"
)
PRODUCTS = (
    "sku,category,style,list_price,launch_date,factory_id\n"
    "S1,tote,Aria,10.00,2009-05-01,\n"
    "S2,charm,Aria,0.0015,2009-05-01,\n"  # a sub-cent unit price: DECIMAL(12,2) rounded it to 0.00
)
ORDERS = "order_id,customer_id,ordered_at,channel,campaign_code,status,gross_amount,discount_amount,net_amount\n"
ITEMS = "order_id,line_number,sku,quantity,list_unit_price,paid_unit_price\n"
O2 = "O2,C1,2009-06-02 09:00:00,web,,paid,20.00,0.00,20.00\n"
O3 = "O3,C1,2009-06-02 11:00:00,web,,paid,10.00,0.00,10.00\n"


def drop(landing: Path, relative: str, content: str) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def one_error_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output[-3000:]
    return lines[0]


def test_a_late_order_gifts_as_of_and_early_history_through_a_build_and_a_daily_run(tmp_path):
    # 1. the item of O2 is in day D's export, O2 itself in day D+1's: `make daily` D+1 publishes with it.
    # 2. O1 has a gift line (paid 0) and a sub-cent line: both load, neither is a discount.
    # 5. the build has AS_OF=D while D+1's files are already there: they wait for D+1's daily run.
    # 6. the days are in 2009, before the default first partition (2010-01-01): PARTITIONS_START lets them in.
    landing = tmp_path / "landing"
    drop(landing, "customers/c-2009-05-01.csv", CUSTOMERS)
    drop(landing, "products/p-2009-05-01.csv", PRODUCTS)
    drop(landing, "orders/o-2009-06-01.csv", ORDERS + "O1,C1,2009-06-01 10:00:00,web,,paid,21.50,10.00,11.50\n")
    lines = "O1,1,S1,1,10.00,10.00\nO1,2,S1,1,10.00,0\nO1,3,S2,1000,0.0015,0.0015\nO2,1,S1,2,10.00,10.00\n"
    drop(landing, "order_items/i-2009-06-01.csv", ITEMS + lines)
    drop(landing, "orders/o-2009-06-02.csv", ORDERS + O3)
    drop(landing, "order_items/i-2009-06-02.csv", ITEMS + "O3,1,S1,1,10.00,10.00\n")
    # O2's item waits in quarantine ("unknown order"): 1 of 4 rows is over the default 1 % tolerance
    env = {"SOURCE": "files", "LANDING_DIR": str(landing), "QUARANTINE_TOLERANCE": "0.5"}
    early = run_cli(tmp_path / "data", "build", env={**env, "AS_OF": "2009-06-01"})
    assert early.returncode == 2 and "before PARTITIONS_START=2010-01-01" in one_error_line(early.output)
    env["PARTITIONS_START"] = "2009-01-01"
    build = run_cli(tmp_path / "data", "build", env={**env, "AS_OF": "2009-06-01"})
    assert build.returncode == 0, build.output[-3000:]
    assert "2009-05-01 .. 2009-06-01" in build.output
    assert build.scalar("select max(as_of_date) from raw.run_context", db="build") == dt.date(2009, 6, 1)
    assert build.query("select order_id from raw.orders", db="build") == [("O1",)]  # not O3 of 2009-06-02
    waiting = "select order_id, _rule from quarantine.order_items"
    assert build.query(waiting, db="build") == [("O2", "unknown order")]
    prices = "select line_number, paid_unit_price::varchar from raw.order_items where order_id = 'O1' order by 1"
    assert build.query(prices, db="build") == [(1, "10.0000"), (2, "0.0000"), (3, "0.0015")]
    assert build.query("select items_count, discounted_items_count from marts.fct_orders") == [(3, 0)]
    share = (
        "select units, discounted_units, list_amount::varchar, discount_amount::varchar from marts.mart_discount_share"
    )
    assert build.query(share + " where dimension = 'sku' order by dimension_value") == [
        (2, 0, "10.00", "0.00"),  # S1: the gift's list value is not discount money
        (1000, 0, "1.50", "0.00"),
    ]

    drop(landing, "orders/o-2009-06-02.csv", ORDERS + O2 + O3)  # D+1's export now holds the late order
    daily = run_cli(tmp_path / "data", "daily", env={**env, "DATE": "2009-06-02"})
    assert daily.returncode == 0, daily.output[-3000:]
    assert build.query(waiting, db="build") == []
    fct_orders = "select order_id, items_count from marts.fct_orders order by 1"
    assert build.query(fct_orders) == [("O1", 3), ("O2", 1), ("O3", 1)]

    # 4. the build database remembers its source: a simulator run on it stops with one line naming both
    assert build.query("select source from meta.build_source", db="build") == [("files",)]
    mixed = run_cli(
        tmp_path / "data", "daily", env={**env, "SOURCE": "simulator", "SIM_START": "2009-06-01", "DATE": "2009-06-02"}
    )
    error = one_error_line(mixed.output)
    assert mixed.returncode == 2 and "built from SOURCE=files, this run has SOURCE=simulator" in error
    assert "make clean" in error
    # 3. a day with no export is not a day without sales: one line naming the day and the setting
    missing = run_cli(tmp_path / "data", "daily", env={**env, "DATE": "2009-06-03"})
    error = one_error_line(missing.output)
    assert missing.returncode == 2 and "DATE=2009-06-03: no file in LANDING_DIR=" in error
    assert "ALLOW_EMPTY_DAYS=2009-06-03" in error
    assert build.query(fct_orders) == [("O1", 3), ("O2", 1), ("O3", 1)]  # nothing published by the refusals
    assert build.scalar("select max(as_of_date) from raw.run_context", db="build") == dt.date(2009, 6, 2)


def _settings(tmp_path: Path, **env: str):
    return load_settings({"DATA_DIR": str(tmp_path / "data"), "LANDING_DIR": str(tmp_path / "landing"), **env})


def test_a_day_without_files_passes_only_when_named_in_allow_empty_days(tmp_path):
    drop(tmp_path / "landing", "orders/o-2026-06-01.csv", ORDERS)  # an empty export: the day was exported
    drop(tmp_path / "landing", "customers/all.csv", CUSTOMERS.replace("2009-05-01", "2026-05-20"))
    day = dt.date(2026, 6, 2)
    with pytest.raises(SettingsError, match="DATE=2026-06-02: no file in LANDING_DIR=.* has data for 2026-06-02"):
        preflight.check_run(_settings(tmp_path, SOURCE="files"), day, day, "daily")
    preflight.check_run(_settings(tmp_path, SOURCE="files", ALLOW_EMPTY_DAYS="2026-06-02"), day, day, "daily")
    preflight.check_run(_settings(tmp_path, SOURCE="files"), dt.date(2026, 6, 1), dt.date(2026, 6, 1), "daily")
    # an undated file covers its first to last day; a backfill with data on some days names the others, runs
    preflight.check_run(_settings(tmp_path, SOURCE="files"), dt.date(2026, 5, 20), dt.date(2026, 5, 20), "daily")
    assert files.days_covered(_settings(tmp_path, SOURCE="files"), dt.date(2026, 5, 19), day) == {
        dt.date(2026, 5, 20),
        dt.date(2026, 6, 1),
    }
    preflight.check_run(_settings(tmp_path, SOURCE="files"), dt.date(2026, 6, 1), day, "backfill")


def test_a_simulator_day_before_its_world_began_is_refused_with_one_line(tmp_path):
    build_db = tmp_path / "data" / "build" / "warehouse.duckdb"
    build_db.parent.mkdir(parents=True)
    with duckdb.connect(str(build_db)) as con:  # what a simulator build leaves: its world's first day and source
        con.execute("create schema meta")
        con.execute("create table meta.sim_world as select date '2024-07-01' as start_date")
        con.execute("create table meta.build_source as select 'simulator' as source, now() as recorded_at")
    done = run_cli(tmp_path / "data", "daily", env={"DATE": "2020-01-01"})
    error = one_error_line(done.output)
    assert done.returncode == 2 and "DATE=2020-01-01: the simulated world of" in error and "2024-07-01" in error
    with pytest.raises(SettingsError, match="built from SOURCE=simulator, this run has SOURCE=files"):
        preflight.check_run(_settings(tmp_path, SOURCE="files"), dt.date(2024, 7, 1), dt.date(2024, 7, 1), "daily")


def test_partitions_start_moves_dagsters_first_partition():
    env = {**os.environ, "PARTITIONS_START": "2005-03-01"}
    code = "from dagster_project.defs.partitions import daily_partitions as p; print(p.get_first_partition_key())"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "2005-03-01", done.stderr[-2000:]
