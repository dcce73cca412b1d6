"""TPC-H data (made with `tpchgen-cli`, Parquet, in parts) mapped onto the raw contract.

The mapping (bench/README.md explains why each choice):

    customer  -> customers        lineitem -> order_items, purchase_orders, deliveries, inspections
    orders    -> orders           supplier -> factories        part -> products

commitdate is the promised date, receiptdate the delivered (and inspected) date, returnflag 'R' a failed
inspection. suppliers, material_purchases and contact_log stay empty (TPC-H has nothing like them).
Every output table carries `_partition_date` (its contract date column, or the order's day for order_items).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project.sources.contract import RAW_TABLES

TPCH_TABLES = ("customer", "orders", "lineitem", "supplier", "part", "nation")
# TPC-H's calendar (orders 1992-01-01 .. 1998-08-02, receipts up to ~1998-12-31) moved forward by a whole number
# of weeks (weekdays and ISO weeks keep their shape) into the warehouse's partitions, which start in 2010:
# orders 2019-01-02 .. 2025-08-03. The last three order days are the daily runs' days (DAILY_DAYS: the bench runs
# one daily run a day, in order, after each full build); the full build's world ends the day before them (AS_OF).
# Receipts after the last order day have not happened yet and are not landed (TPC-H's receipts wind down to
# nothing after its last order, which the raw volume gate rightly rejects).
SHIFT_DAYS = 7 * 1409
FIRST_DAY = dt.date(1992, 1, 1) + dt.timedelta(days=SHIFT_DAYS)
LAST_DAY = dt.date(1998, 8, 2) + dt.timedelta(days=SHIFT_DAYS)
DAILY_DAYS = tuple(LAST_DAY - dt.timedelta(days=n) for n in (2, 1, 0))
AS_OF = DAILY_DAYS[0] - dt.timedelta(days=1)
SHIFTED = {
    "orders": ("o_orderdate",),
    "lineitem": ("l_shipdate", "l_commitdate", "l_receiptdate"),
}


def generate(scale_factor: int, out_dir: Path, parts: int | None = None) -> Path:
    """Run tpchgen-cli once (skipped when the files exist); SF >= 10 is written in parts to bound memory."""
    done = out_dir / ".complete"
    if done.exists():
        return out_dir
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    parts = parts or max(1, scale_factor)
    tpchgen = Path(sys.executable).parent / "tpchgen-cli"
    subprocess.run(
        [
            str(tpchgen),
            "parquet",
            "-s",
            str(scale_factor),
            "--tables",
            ",".join(TPCH_TABLES),
            "--parts",
            str(parts),
            "--output-dir",
            str(out_dir),
        ],
        check=True,
    )
    done.write_text("ok")
    return out_dir


def _src(tpch: Path, table: str) -> str:
    single = tpch / f"{table}.parquet"
    read = f"read_parquet('{single}')" if single.exists() else f"read_parquet('{tpch / table}/*.parquet')"
    if table not in SHIFTED:
        return read
    moved = ", ".join(f"{column} + {SHIFT_DAYS} as {column}" for column in SHIFTED[table])
    return f"(select * replace ({moved}) from {read})"


def mapping_sql(tpch: Path) -> dict[str, str]:
    """One select per raw table, with the contract's columns in order plus `_partition_date`."""
    s = {t: _src(tpch, t) for t in TPCH_TABLES}
    first = f"date '{FIRST_DAY}'"
    return {
        "customers": f"""
            select
                'C' || lpad(cast(c_custkey as varchar), 9, '0') as customer_id,
                {first} as signup_date,
                cast(null as integer) as birth_year,
                cast(null as varchar) as gender,
                nation.n_name as province,
                cast(null as varchar) as city,
                lower(c_mktsegment) as acquisition_channel,
                c_phone as phone,
                cast(null as varchar) as email,
                {first} as _partition_date
            from {s["customer"]} as customer
            join {s["nation"]} as nation on customer.c_nationkey = nation.n_nationkey
        """,
        "products": f"""
            select
                'P' || lpad(cast(p_partkey as varchar), 9, '0') as sku,
                p_type as category,
                p_brand as style,
                cast(p_retailprice as decimal(12, 2)) as list_price,
                {first} as launch_date,
                'F' || lpad(cast(1 + (p_partkey % suppliers.n) as varchar), 6, '0') as factory_id,
                {first} as _partition_date
            from {s["part"]}
            cross join (select count(*) as n from {s["supplier"]}) as suppliers
        """,
        "factories": f"""
            select
                'F' || lpad(cast(s_suppkey as varchar), 6, '0') as factory_id,
                s_name as factory_name,
                nation.n_name as province,
                {first} as onboarded_date,
                {first} as _partition_date
            from {s["supplier"]} as supplier
            join {s["nation"]} as nation on supplier.s_nationkey = nation.n_nationkey
        """,
        "orders": f"""
            with lines as (
                select
                    l_orderkey,
                    sum(l_quantity * cast(l_extendedprice / l_quantity as decimal(12, 2))) as gross_amount,
                    sum(l_quantity * cast(l_extendedprice * (1 - l_discount) / l_quantity as decimal(12, 2)))
                        as net_amount
                from {s["lineitem"]}
                group by l_orderkey
            )
            select
                'O' || lpad(cast(o_orderkey as varchar), 10, '0') as order_id,
                'C' || lpad(cast(o_custkey as varchar), 9, '0') as customer_id,
                cast(o_orderdate as timestamp) as ordered_at,
                lower(split_part(o_orderpriority, '-', 2)) as channel,
                cast(null as varchar) as campaign_code,
                'paid' as status,
                cast(lines.gross_amount as decimal(14, 2)) as gross_amount,
                cast(lines.gross_amount - lines.net_amount as decimal(14, 2)) as discount_amount,
                cast(lines.net_amount as decimal(14, 2)) as net_amount,
                o_orderdate as _partition_date
            from {s["orders"]} as orders
            join lines on orders.o_orderkey = lines.l_orderkey
        """,
        "order_items": f"""
            select
                'O' || lpad(cast(l_orderkey as varchar), 10, '0') as order_id,
                l_linenumber as line_number,
                'P' || lpad(cast(l_partkey as varchar), 9, '0') as sku,
                cast(l_quantity as integer) as quantity,
                cast(l_extendedprice / l_quantity as decimal(12, 2)) as list_unit_price,
                cast(l_extendedprice * (1 - l_discount) / l_quantity as decimal(12, 2)) as paid_unit_price,
                orders.o_orderdate as _partition_date
            from {s["lineitem"]} as lineitem
            join {s["orders"]} as orders on lineitem.l_orderkey = orders.o_orderkey
        """,
        "purchase_orders": f"""
            select
                'PO' || lpad(cast(l_orderkey as varchar), 10, '0') || '-' || l_linenumber as po_id,
                'F' || lpad(cast(l_suppkey as varchar), 6, '0') as factory_id,
                'P' || lpad(cast(l_partkey as varchar), 9, '0') as sku,
                cast(l_quantity as integer) as quantity,
                orders.o_orderdate as ordered_date,
                l_commitdate as promised_date,
                orders.o_orderdate as _partition_date
            from {s["lineitem"]} as lineitem
            join {s["orders"]} as orders on lineitem.l_orderkey = orders.o_orderkey
        """,
        "deliveries": f"""
            select
                'D' || lpad(cast(l_orderkey as varchar), 10, '0') || '-' || l_linenumber as delivery_id,
                'PO' || lpad(cast(l_orderkey as varchar), 10, '0') || '-' || l_linenumber as po_id,
                l_receiptdate as delivered_date,
                cast(l_quantity as integer) as quantity,
                l_receiptdate as _partition_date
            from {s["lineitem"]}
        """,
        "inspections": f"""
            select
                'I' || lpad(cast(l_orderkey as varchar), 10, '0') || '-' || l_linenumber as inspection_id,
                'D' || lpad(cast(l_orderkey as varchar), 10, '0') || '-' || l_linenumber as delivery_id,
                l_receiptdate as inspected_date,
                cast(l_quantity as integer) as inspected_qty,
                case when l_returnflag = 'R' then 0 else cast(l_quantity as integer) end as passed_qty,
                case when l_returnflag = 'R' then 'returned' end as defect_type,
                l_receiptdate as _partition_date
            from {s["lineitem"]}
        """,
    }


def empty_sql(table: str) -> str:
    columns = [f"cast(null as {c.type}) as {c.name}" for c in RAW_TABLES[table].columns]
    return f"select {', '.join(columns)}, cast(null as date) as _partition_date where false"


def map_to_raw(tpch: Path, out_dir: Path, threads: int | None = None) -> dict[str, int]:
    """Write `<out_dir>/<raw table>.parquet` for every contract table; return the row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    queries = mapping_sql(tpch)
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    con.execute("set enable_progress_bar = false")
    if threads:
        con.execute(f"set threads = {threads}")
    counts = {}
    for table in RAW_TABLES:
        query = queries.get(table) or empty_sql(table)
        target = out_dir / f"{table}.parquet"
        con.execute(f"copy ({query}) to '{target}' (format parquet, row_group_size 1000000)")
        counts[table] = con.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]
    return counts


def write_landing(mapped: Path, landing: Path, next_day: Path) -> dict[str, int]:
    """The mapped tables as landing folders for SOURCE=files, cut at the calendar above.

    `landing`: every row dated up to AS_OF; one file per table dated by its date column, except order_items (no
    date column in the contract), written one file per order day. `next_day`: the rows of each of DAILY_DAYS, one
    `<table>-<day>.parquet` per table and day, which the bench drops into the landing folder for that day's daily
    run. Returns the rows landed per table (both folders)."""
    for folder in (landing, next_day):
        folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    landed: dict[str, int] = {}
    for name, table in RAW_TABLES.items():
        source = f"read_parquet('{mapped / f'{name}.parquet'}')"
        columns = ", ".join(table.column_names)
        landed[name] = con.execute(
            f"select count(*) from {source} where _partition_date <= date '{LAST_DAY}'"
        ).fetchone()[0]
        if not landed[name]:
            continue  # TPC-H has nothing for this table: no folder, the source delivers it empty
        (landing / name).mkdir()
        if table.date_column is not None:
            con.execute(
                f"copy (select {columns} from {source} where _partition_date <= date '{AS_OF}') "
                f"to '{landing / name / f'{name}.parquet'}' (format parquet)"
            )
        else:
            scratch = landing / f".{name}-by-day"
            con.execute(
                f"copy (select {columns}, _partition_date from {source} where _partition_date <= date '{AS_OF}') "
                f"to '{scratch}' (format parquet, partition_by (_partition_date))"
            )
            for part in scratch.glob("_partition_date=*/*.parquet"):
                day = part.parent.name.split("=", 1)[1]
                part.rename(landing / name / f"{name}-{day}.parquet")
            shutil.rmtree(scratch)
        for day in DAILY_DAYS:
            if not con.execute(f"select count(*) from {source} where _partition_date = date '{day}'").fetchone()[0]:
                continue
            (next_day / name).mkdir(exist_ok=True)
            con.execute(
                f"copy (select {columns} from {source} where _partition_date = date '{day}') "
                f"to '{next_day / name / f'{name}-{day}.parquet'}' (format parquet)"
            )
    return landed
