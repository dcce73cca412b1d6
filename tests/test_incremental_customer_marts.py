"""The per-customer and per-snapshot incremental models give exactly what a full rebuild gives:
int_customer_orders_aggregated (re-aggregates only the customers whose orders fct_orders re-processed, and forgets
a customer whose only paid order was cancelled) and mart_segment_migration (re-computes only the moves into the
RFM snapshots re-computed this run, across a month end, and drops the move into the previous run's as-of day).

Raw is loaded with the real loader (warehouse/raw.py) from a small simulator world, day by day as the ingest step
does (raw.run_context included); dbt builds only these models and what they read: once in full to 06-29, then
two daily runs (06-30, a month end, and 07-01), then once more with --full-refresh as the reference.
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

START, BUILT, END = dt.date(2026, 4, 1), dt.date(2026, 6, 29), dt.date(2026, 7, 1)
MODELS = ["int_customer_orders_aggregated", "mart_segment_migration", "mart_customer_rfm", "fct_orders"]
SELECT = ["--select", "+int_customer_orders_aggregated", "+mart_segment_migration"]


def _days(table: pa.Table, first: dt.date, last: dt.date) -> pa.Table:
    day = table["_partition_date"]
    return table.filter(
        pc.and_(pc.greater_equal(day, pa.scalar(first, pa.date32())), pc.less_equal(day, pa.scalar(last, pa.date32())))
    )


def _load(build_db, tables: dict[str, pa.Table], first: dt.date, last: dt.date) -> None:
    with duckdb.connect(str(build_db)) as con:
        raw.ensure_schema(con)
        load_id = raw.new_load_id()
        for name in raw.load_order(tables):
            raw.load_table(con, RAW_TABLES[name], tables[name], first, last, load_id, "simulator")
        raw.write_run_context(con, first, last, "simulator")


def _tables(build_db) -> dict[str, list[tuple]]:
    with duckdb.connect(str(build_db), read_only=True) as con:
        schema = {"int_customer_orders_aggregated": "intermediate"}
        return {m: con.execute(f"select * from {schema.get(m, 'marts')}.{m} order by all").fetchall() for m in MODELS}


def test_incremental_customer_marts_equal_a_full_rebuild(tmp_path):
    build_db = tmp_path / "warehouse.duckdb"
    world = simulator.generate(simulator.SimulatorConfig(seed=7, scale=0.05, start_date=START), START, END)
    _load(build_db, {name: _days(rows, START, BUILT) for name, rows in world.items()}, START, BUILT)
    run_dbt(build_db, tmp_path, "seed")
    run_dbt(build_db, tmp_path, "run", *SELECT)

    # a customer with exactly one paid order, placed inside the lookback window: the 06-30 file carries a newer
    # copy of that order, cancelled, so the customer has no paid order left
    with duckdb.connect(str(build_db), read_only=True) as con:
        customer, order_id = con.execute(
            """
            select customer_id, any_value(order_id) from marts.fct_orders
            where is_paid group by customer_id
            having count(*) = 1 and max(ordered_date) between date '2026-06-25' and date '2026-06-29'
            order by customer_id limit 1
            """
        ).fetchone()
        assert con.execute(
            "select count(*) from intermediate.int_customer_orders_aggregated where customer_id = ?", [customer]
        ).fetchone() == (1,)
    day = dt.date(2026, 6, 30)
    tables = {name: _days(rows, day, day) for name, rows in world.items()}
    orders = world["orders"]
    cancelled = orders.filter(pc.equal(orders["order_id"], order_id))
    cancelled = cancelled.set_column(cancelled.schema.get_field_index("status"), "status", pa.array(["cancelled"]))
    cancelled = cancelled.set_column(
        cancelled.schema.get_field_index("_partition_date"), "_partition_date", pa.array([day], pa.date32())
    )
    tables["orders"] = pa.concat_tables([tables["orders"], cancelled])
    _load(build_db, tables, day, day)
    run_dbt(build_db, tmp_path, "run", *SELECT)

    day = END
    _load(build_db, {name: _days(rows, day, day) for name, rows in world.items()}, day, day)
    run_dbt(build_db, tmp_path, "run", *SELECT)
    incremental = _tables(build_db)

    assert not [row for row in incremental["int_customer_orders_aggregated"] if row[0] == customer]
    moves_into = sorted({row[1] for row in incremental["mart_segment_migration"]})
    assert moves_into[-2:] == [dt.date(2026, 6, 30), END]  # 06-29 (the first build's as-of day) is gone
    run_dbt(build_db, tmp_path, "run", *SELECT, "--full-refresh")
    rebuilt = _tables(build_db)
    assert {m: len(rows) for m, rows in incremental.items()} == {m: len(rows) for m, rows in rebuilt.items()}
    differing = [m for m in MODELS if incremental[m] != rebuilt[m]]
    assert not differing, f"incremental models differ from a full rebuild: {differing}"
