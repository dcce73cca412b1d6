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
    """Every staging table's rows but processed_at (when a build wrote the row: a full rebuild writes all anew)."""
    with duckdb.connect(str(build_db), read_only=True) as con:
        return {
            t: con.execute(f"select * exclude (processed_at) from staging.{t} order by all").fetchall() for t in STAGING
        }


def _load_world(build_db, end: dt.date = END) -> dict[str, pa.Table]:
    """A small simulator world from START to `end`, loaded into raw of a new build file with the real loader."""
    world = simulator.generate(simulator.SimulatorConfig(seed=7, scale=0.05, start_date=START), START, end)
    with duckdb.connect(str(build_db)) as con:
        raw.ensure_schema(con)
        load_id = raw.new_load_id()
        for name in raw.load_order(world):
            raw.load_table(con, RAW_TABLES[name], world[name], START, end, load_id, "simulator")
    return world


def _order(build_db, order_id: str) -> tuple | None:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return con.execute(
            "select status, partition_date from staging.stg_shop__orders where order_id = ?", [order_id]
        ).fetchone()


def test_incremental_staging_equals_a_full_rebuild(tmp_path):
    build_db = tmp_path / "warehouse.duckdb"
    world = _load_world(build_db)
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


CAUTIOUS = ("--indirect-selection", "cautious")  # the staging models' own tests, not those reaching into marts


def _marks(build_db) -> dict[str, object]:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return dict(con.execute("select scope, tested_through from meta.tested_through").fetchall())


def _tamper(build_db, sql: str) -> None:
    with duckdb.connect(str(build_db)) as con:
        con.execute(sql)


def test_staging_tests_look_at_the_rows_written_since_they_last_passed(tmp_path):
    """dbt/macros/tested_through.sql: the key tests of an incremental model test the rows written since its tests
    last passed (each key counted over the whole table), a failure keeps failing, and no mark means every row."""
    build_db = tmp_path / "warehouse.duckdb"
    _load_world(build_db, dt.date(2026, 4, 30))
    run_dbt(build_db, tmp_path, "build", "--select", "staging", *CAUTIOUS)
    marks = _marks(build_db)
    assert set(marks) == {f"staging.{t}" for t in STAGING}
    with duckdb.connect(str(build_db), read_only=True) as con:
        assert (
            con.execute("select max(processed_at) from staging.stg_shop__orders").fetchone()[0]
            == marks["staging.stg_shop__orders"]
        )
    orders = "staging.stg_shop__orders"
    unique_test = "incremental_unique_stg_shop__orders_order_id"

    # a copy of a kept row stamped before the mark is outside what the next test looks at; its tests pass
    _tamper(build_db, f"insert into {orders} (from {orders} order by order_id limit 1)")
    run_dbt(build_db, tmp_path, "test", "--select", "stg_shop__orders", *CAUTIOUS)
    after_pass = _marks(build_db)
    assert after_pass[orders] > marks[orders]
    assert {k: v for k, v in after_pass.items() if k != orders} == {k: v for k, v in marks.items() if k != orders}

    # a newer copy of another kept key: only it is in scope, but its key is counted over the whole table
    _tamper(
        build_db,
        f"insert into {orders} (select * replace (current_timestamp::timestamp as processed_at) from {orders}"
        " order by order_id desc limit 1)",
    )
    for _ in range(2):  # the mark does not move on a failure: the next run fails again
        out = run_dbt(build_db, tmp_path, "test", "--select", "stg_shop__orders", *CAUTIOUS, succeeds=False)
        assert f"FAIL 1 {unique_test}" in out, out[-2000:]
        assert _marks(build_db)[orders] == after_pass[orders]

    # one of the model's scoped tests passing alone does not move the mark: the others did not look
    _tamper(build_db, f"delete from {orders} where processed_at > '{after_pass[orders]}'")
    run_dbt(build_db, tmp_path, "test", "--select", unique_test)
    assert _marks(build_db)[orders] == after_pass[orders]

    # a NULL key written after the mark fails incremental_not_null
    _tamper(
        build_db,
        f"insert into {orders} (select * replace (null as order_id, current_timestamp::timestamp as processed_at)"
        f" from {orders} limit 1)",
    )
    out = run_dbt(build_db, tmp_path, "test", "--select", "stg_shop__orders", *CAUTIOUS, succeeds=False)
    assert "FAIL 1 incremental_not_null_stg_shop__orders_order_id" in out, out[-2000:]
    _tamper(build_db, f"delete from {orders} where order_id is null")

    # `dbt build --empty` runs the tests over no rows: no mark moves
    before_empty = _marks(build_db)
    run_dbt(build_db, tmp_path, "build", "--select", "stg_shop__orders", "--empty", *CAUTIOUS)
    assert _marks(build_db) == before_empty

    # a mark later than a run's start (the clock went back) is dropped: every row is tested, the first copy is found
    _tamper(build_db, "update meta.tested_through set tested_through = '2100-01-01'")
    out = run_dbt(build_db, tmp_path, "test", "--select", "stg_shop__orders", *CAUTIOUS, succeeds=False)
    assert f"FAIL 1 {unique_test}" in out, out[-2000:]
    assert _marks(build_db) == {}  # dropped, and the failing tests set none
