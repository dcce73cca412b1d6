"""The per-customer and per-snapshot incremental models give exactly what a full rebuild gives:
fct_orders (re-processes the customers with orders in the days re-processed, plus the former owner of an order moved
to another customer or dropped by a corrected file, and deletes the dropped order), int_customer_orders_aggregated
(re-aggregates those customers, and forgets a customer whose only paid order was cancelled) and
mart_segment_migration (re-computes only the moves into the RFM snapshots re-computed this run, across a month end,
and drops the move into the previous run's as-of day).

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
        stamped = {"mart_customer_rfm": " exclude (processed_at)"}  # when a run wrote the row: not what it holds
        return {
            m: con.execute(f"select *{stamped.get(m, '')} from {schema.get(m, 'marts')}.{m} order by all").fetchall()
            for m in MODELS
        }


def _newer_copy(orders: pa.Table, order_id, day: dt.date, **changes) -> pa.Table:
    """The order's row as a later file would re-send it: changed columns, partition day `day`."""
    copy = orders.filter(pc.equal(orders["order_id"], order_id))
    changes["_partition_date"] = day
    for column, value in changes.items():
        index = copy.schema.get_field_index(column)
        copy = copy.set_column(index, column, pa.array([value], copy.schema.field(index).type))
    return copy


def test_incremental_customer_marts_equal_a_full_rebuild(tmp_path):
    build_db = tmp_path / "warehouse.duckdb"
    world = simulator.generate(simulator.SimulatorConfig(seed=7, scale=0.05, start_date=START), START, END)
    _load(build_db, {name: _days(rows, START, BUILT) for name, rows in world.items()}, START, BUILT)
    run_dbt(build_db, tmp_path, "seed")
    run_dbt(build_db, tmp_path, "run", *SELECT)

    # a customer with exactly one paid order, placed inside the lookback window: the 06-30 file carries a newer
    # copy of that order, cancelled, so the customer has no paid order left;
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
        # another customer whose one paid order (inside the lookback window, no other order since 06-16) the 06-30
        # file moves to a third customer: the second customer must lose its row, though no order of theirs is left
        # in the days re-processed
        moved_from, moved_id, moved_to = con.execute(
            """
            with owners as (
                select customer_id, any_value(order_id) filter (where is_paid) as paid_order_id
                from marts.fct_orders group by customer_id
                having count(*) filter (where is_paid) = 1 and count(*) filter (where ordered_date >= '2026-06-16') = 1
                    and min(ordered_date) filter (where is_paid) >= date '2026-06-16'
                    and max(ordered_date) between date '2026-06-24' and date '2026-06-27'
            )

            select customer_id, paid_order_id,
                (select min(customer_id) from marts.fct_orders where is_paid and customer_id <> owners.customer_id)
            from owners where customer_id <> ? order by customer_id limit 1
            """,
            [customer],
        ).fetchone()
        # a paid order of 06-28 that a corrected 06-28 file (re-sent with 06-30's) no longer carries
        (dropped_id,) = con.execute(
            """
            select order_id from marts.fct_orders
            where is_paid and ordered_date = date '2026-06-28' and customer_id not in (?, ?, ?)
            order by order_id limit 1
            """,
            [customer, moved_from, moved_to],
        ).fetchone()
    first, day = dt.date(2026, 6, 28), dt.date(2026, 6, 30)
    tables = {name: _days(rows, first, day) for name, rows in world.items()}
    tables["orders"] = tables["orders"].filter(pc.not_equal(tables["orders"]["order_id"], dropped_id))
    tables["order_items"] = tables["order_items"].filter(pc.not_equal(tables["order_items"]["order_id"], dropped_id))
    orders = world["orders"]
    cancelled = _newer_copy(orders, order_id, day, status="cancelled")
    moved = _newer_copy(orders, moved_id, day, customer_id=moved_to)
    tables["orders"] = pa.concat_tables([tables["orders"], cancelled, moved])
    _load(build_db, tables, first, day)
    run_dbt(build_db, tmp_path, "run", *SELECT)

    day = END
    _load(build_db, {name: _days(rows, day, day) for name, rows in world.items()}, day, day)
    run_dbt(build_db, tmp_path, "run", *SELECT)
    incremental = _tables(build_db)

    assert not [row for row in incremental["int_customer_orders_aggregated"] if row[0] == customer]
    assert not [row for row in incremental["fct_orders"] if row[0] == dropped_id]
    assert [row[1] for row in incremental["fct_orders"] if row[0] == moved_id] == [moved_to]
    assert not [row for row in incremental["int_customer_orders_aggregated"] if row[0] == moved_from]
    moves_into = sorted({row[1] for row in incremental["mart_segment_migration"]})
    assert moves_into[-2:] == [dt.date(2026, 6, 30), END]  # 06-29 (the first build's as-of day) is gone
    run_dbt(build_db, tmp_path, "run", *SELECT, "--full-refresh")
    rebuilt = _tables(build_db)
    assert {m: len(rows) for m, rows in incremental.items()} == {m: len(rows) for m, rows in rebuilt.items()}
    differing = [m for m in MODELS if incremental[m] != rebuilt[m]]
    assert not differing, f"incremental models differ from a full rebuild: {differing}"

    # an old order moved: the first paid order of a customer whose orders all lie long before the lookback window
    # is re-sent with 07-01's file under another customer. fct_orders must renumber the first customer's later
    # orders and int_customer_orders_aggregated re-count them, as a full rebuild does. (RFM snapshots before the
    # window keep what they said then: a run re-computes only the snapshots from the window on.)
    with duckdb.connect(str(build_db), read_only=True) as con:
        old_owner, old_id = con.execute(
            """
            select customer_id, arg_min(order_id, customer_order_number) from marts.fct_orders
            group by customer_id
            having count(*) filter (where is_paid) >= 3 and max(ordered_date) < date '2026-06-01'
            order by customer_id limit 1
            """
        ).fetchone()
    tables = {name: _days(rows, END, END) for name, rows in world.items()}
    moved_old = _newer_copy(world["orders"], old_id, END, customer_id=moved_to)
    tables["orders"] = pa.concat_tables([tables["orders"], moved_old])
    _load(build_db, tables, END, END)
    run_dbt(build_db, tmp_path, "run", *SELECT)
    incremental = _tables(build_db)
    numbers = sorted(row[8] for row in incremental["fct_orders"] if row[1] == old_owner and row[8] is not None)
    assert numbers and numbers == list(range(1, len(numbers) + 1))  # column 8: customer_order_number
    run_dbt(build_db, tmp_path, "run", *SELECT, "--full-refresh")
    rebuilt = _tables(build_db)
    for model in ("fct_orders", "int_customer_orders_aggregated"):
        assert incremental[model] == rebuilt[model], f"{model} differs from a full rebuild after an old order moved"
