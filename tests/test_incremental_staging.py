"""Incremental staging (dbt/macros/staging_latest_copy.sql) gives exactly what a full rebuild gives, through the
ways raw changes between runs: a corrected file that drops a key, a later day's file with a newer copy of a key,
then that later file corrected again so the older copy wins back, and a day reloaded with no rows at all.

Raw is loaded with the real loader (warehouse/raw.py) from a small simulator world; dbt builds only the staging
models: once in full, twice incrementally after changes, then once more with --full-refresh as the reference.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources import simulator
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw
from tests.conftest import run_dbt

START, END = dt.date(2026, 4, 1), dt.date(2026, 6, 29)
STAGING = [f"stg_shop__{name}" for name in RAW_TABLES]


def _day(table: pa.Table, day: dt.date) -> pa.Table:
    return table.filter(pc.equal(table["_partition_date"], pa.scalar(day, pa.date32())))


def _reload(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table, day: dt.date) -> None:
    raw.load_table(con, RAW_TABLES[name], rows, day, day, raw.new_load_id(), "test")


def _staging(build_db) -> dict[str, list[tuple]]:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return {t: con.execute(f"select * from staging.{t} order by all").fetchall() for t in STAGING}


def _order(build_db, order_id: str) -> tuple | None:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return con.execute(
            "select status, partition_date from staging.stg_shop__orders where order_id = ?", [order_id]
        ).fetchone()


def test_incremental_staging_equals_a_full_rebuild(tmp_path):
    build_db = tmp_path / "warehouse.duckdb"
    world = simulator.generate(simulator.SimulatorConfig(seed=7, scale=0.05, start_date=START), START, END)
    with duckdb.connect(str(build_db)) as con:
        raw.ensure_schema(con)
        load_id = raw.new_load_id()
        for name in raw.load_order(world):
            raw.load_table(con, RAW_TABLES[name], world[name], START, END, load_id, "simulator")
    run_dbt(build_db, tmp_path, "run", "--select", "staging")  # full: the tables are created
    before = _staging(build_db)

    orders = world["orders"]
    days = sorted({d.as_py() for d in orders["_partition_date"]})
    first, later = days[10], days[20]
    first_orders, later_orders = _day(orders, first), _day(orders, later)
    dropped, updated = first_orders["order_id"][0].as_py(), first_orders["order_id"][1].as_py()
    contact_day = world["contact_log"]["_partition_date"][0].as_py()
    assert _day(world["contact_log"], contact_day).num_rows > 0

    # run 1: the first day's file corrected without one order; a later file with a newer copy of another order
    # (refunded); the contact log of one day reloaded empty
    newer = first_orders.filter(pc.equal(first_orders["order_id"], updated))
    newer = newer.set_column(newer.schema.get_field_index("status"), "status", pa.array(["refunded"]))
    newer = newer.set_column(
        newer.schema.get_field_index("_partition_date"), "_partition_date", pa.array([later], pa.date32())
    )
    with duckdb.connect(str(build_db)) as con:
        _reload(con, "orders", first_orders.filter(pc.not_equal(first_orders["order_id"], dropped)), first)
        _reload(con, "orders", pa.concat_tables([later_orders, newer]), later)
        _reload(con, "contact_log", world["contact_log"].slice(0, 0), contact_day)
    run_dbt(build_db, tmp_path, "run", "--select", "staging")
    assert _order(build_db, dropped) is None
    assert _order(build_db, updated) == ("refunded", later)

    # run 2: the later file corrected again, without that copy: the first day's copy wins back
    with duckdb.connect(str(build_db)) as con:
        _reload(con, "orders", later_orders, later)
    run_dbt(build_db, tmp_path, "run", "--select", "staging")
    status = first_orders.filter(pc.equal(first_orders["order_id"], updated))["status"][0].as_py()
    assert _order(build_db, updated) == (status, first)
    incremental = _staging(build_db)

    run_dbt(build_db, tmp_path, "run", "--select", "staging", "--full-refresh")
    rebuilt = _staging(build_db)
    assert len(incremental["stg_shop__contact_log"]) < len(before["stg_shop__contact_log"])
    assert {t: len(rows) for t, rows in incremental.items()} == {t: len(rows) for t, rows in rebuilt.items()}
    differing = [t for t in STAGING if incremental[t] != rebuilt[t]]
    assert not differing, f"incremental staging differs from a full rebuild: {differing}"
