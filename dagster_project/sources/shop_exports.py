"""What the shop-platform order exports (sources/taobao.py, sources/shopify.py) share. No Dagster import.

An adapter turns its export files into two relations in the scratch connection, then calls `emit`:

- `shop_orders`: one row per order to load (the copy from the newest export), with order_id, customer_id (already
  a hash: the platforms' buyer names and emails are PII), ordered_at (shop-local timestamp), day, channel, status
  (paid / cancelled / refunded), gross / net (decimal(14,2): cast in SQL, so no float noise such as
  47.80000000000001 ever reaches the loader), province, city, phone, email, file_ref, line;
- `shop_items`: one row per order line to load, with order_id, line_number, sku, quantity, list_unit and
  paid_unit (decimal(12,2)), style, day (its order's day), file_ref, line.

Rows an adapter does not load are set aside with a rule through `set_aside` (quarantine.file_rows), so every
export row ends in exactly one place. `emit` makes the raw customers / products / orders / order_items rows of the
run's days: a customer and a SKU on the day they are first seen (earlier days' raw rows are not re-emitted, as the
Online Retail adapter does), so a day-by-day load and one full load give the same raw rows.

Platforms export by date range, so one order is in several files, sometimes with a newer status: the newest
export wins (`newest_first`). An export's age is the timestamp in its name (Taobao: ExportOrderList202406301530.csv)
or, without one, its modification time.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

if TYPE_CHECKING:
    from dagster_project.sources.files import Batch, FileRead

TABLES = ("customers", "products", "orders", "order_items")
CATEGORY = "uncategorised"  # neither export has product categories
STAMP_IN_NAME = re.compile(r"(?<!\d)(\d{12}|\d{14})(?!\d)")


def readable(reads: list[FileRead], batch: Batch) -> list[FileRead]:
    """The export files with rows: every line the reader rejected is set aside as `unparseable` with its reason."""
    from dagster_project.sources.files import _aside

    for read in reads:
        for line, reason, content in read.rejects:
            batch.set_aside.append(_aside(read.file, line, "unparseable", reason, content, None))
    return [r for r in reads if not r.empty]


def present_columns(read: FileRead, required: tuple[str, ...], kind: str) -> dict[str, str]:
    """{column: the file's column} (names trimmed, case-insensitive); a missing required column is a one-line
    error naming the file and the column."""
    from dagster_project.sources.files import LandingError

    present = {c.strip().lower(): c for c in read.rows.column_names if c != "_line"}
    missing = [c for c in required if c.lower() not in present]
    if missing:
        raise LandingError(
            f"{read.file.path}: missing column(s) {', '.join(missing)} of the {kind}: export it again with "
            "every column (docs/landing-files.md lists the required ones)"
        )
    return present


def rows_table(read: FileRead, present: dict[str, str], columns: tuple[str, ...], stamp_rank: int) -> pa.Table:
    """The export's columns (as text, NULL where a column is absent) + file ref, line and the file's age rank."""
    n = read.rows.num_rows
    data = {
        c: read.rows.column(present[c.lower()]).cast(pa.string())
        if c.lower() in present
        else pa.array([None] * n, pa.string())
        for c in columns
    }
    data["file_ref"] = pa.array([read.file.ref] * n, pa.string())
    data["line"] = read.rows.column("_line")
    data["file_rank"] = pa.array([stamp_rank] * n, pa.int64())
    return pa.table(data)


def export_stamp(read: FileRead) -> tuple[str, str]:
    """Sort key of an export's age: the 12- or 14-digit timestamp in its name, else its modification time."""
    match = STAMP_IN_NAME.search(read.file.path.name)
    if match:
        stamp = match.group(1).ljust(14, "0")
    else:
        stamp = dt.datetime.fromtimestamp(read.file.path.stat().st_mtime).strftime("%Y%m%d%H%M%S")
    return stamp, read.file.path.name


def newest_first(reads: list[FileRead]) -> dict[str, int]:
    """{file ref: rank}, 1 = the newest export (the copy of an order that wins)."""
    ordered = sorted(reads, key=export_stamp, reverse=True)
    return {read.file.ref: rank for rank, read in enumerate(ordered, start=1)}


def amount_sql(column: str) -> str:
    """SQL: an export amount ('1,299.00', '128.00元', '¥59', '') as decimal(14,2), NULL when it does not parse."""
    cleaned = f"regexp_replace(trim(coalesce({column}, '')), '[元¥￥,\\s]|RMB|CNY', '', 'g')"
    return f"cast(round(try_cast(nullif({cleaned}, '') as decimal(18, 4)), 2) as decimal(14, 2))"


def hashed_key_sql(prefix: str, column: str) -> str:
    """SQL: a stable customer key from a PII value (buyer nickname, email): prefix + 16 hex of its SHA-256."""
    return f"case when nullif(trim({column}), '') is not null then '{prefix}' || left(sha256(trim({column})), 16) end"


def set_aside(work: duckdb.DuckDBPyConnection, sql: str, batch: Batch, first_day: dt.date, last_day: dt.date) -> None:
    """Append the rows of `sql` (file_ref, line, rule, detail, content, day) to the set-aside rows: those of the
    run's days and those with no day (re-set aside by every run that reads the file)."""
    for file_ref, line, rule, detail, content, day in work.execute(
        f"select * from ({sql}) where day is null or day between $first and $last order by 1, 2",
        {"first": first_day, "last": last_day},
    ).fetchall():
        batch.set_aside.append(
            {
                "file_ref": file_ref,
                "line": line,
                "rule": rule,
                "detail": detail,
                "content": content,
                "_partition_date": day,
            }
        )


def emit(
    work: duckdb.DuckDBPyConnection,
    warehouse: duckdb.DuckDBPyConnection,
    batch: Batch,
    first_day: dt.date,
    last_day: dt.date,
    order_rows_are_export_rows: bool,
) -> None:
    """`shop_orders` and `shop_items` (see the module doc) into the batch's raw customers / products / orders /
    order_items rows, with the per-file counts the load history needs: export rows handed on are the order lines,
    plus the orders when they come from export rows of their own (Taobao's order export; a Shopify order is made
    from its line-item rows)."""
    from dagster_project.sources.online_retail import _seen_before

    earlier = _seen_before(warehouse, first_day)
    work.register("customers_seen_before", earlier["customers"])
    work.register("products_seen_before", earlier["products"])
    tables = {
        "customers": """
            select
                customer_id,
                cast(min(day) as varchar) as signup_date,
                cast(null as varchar) as birth_year,
                cast(null as varchar) as gender,
                arg_min(province, (ordered_at, order_id)) as province,
                arg_min(city, (ordered_at, order_id)) as city,
                arg_min(channel, (ordered_at, order_id)) as acquisition_channel,
                arg_min(phone, (ordered_at, order_id)) as phone,
                arg_min(email, (ordered_at, order_id)) as email,
                min(day) as _partition_date,
                arg_min(file_ref || ':' || line, (ordered_at, order_id)) as _source
            from shop_orders
            where customer_id not in (select key from customers_seen_before where key is not null)
            group by customer_id
        """,
        "products": f"""
            select
                sku,
                '{CATEGORY}' as category,
                coalesce(arg_min(nullif(trim(style), ''), (day, order_id, line_number)), sku) as style,
                cast(arg_min(list_unit, (day, order_id, line_number)) as varchar) as list_price,
                cast(min(day) as varchar) as launch_date,
                cast(null as varchar) as factory_id,
                min(day) as _partition_date,
                arg_min(file_ref || ':' || line, (day, order_id, line_number)) as _source
            from shop_items
            where sku not in (select key from products_seen_before where key is not null)
            group by sku
        """,
        "orders": """
            select
                order_id,
                customer_id,
                cast(ordered_at as varchar) as ordered_at,
                channel,
                cast(null as varchar) as campaign_code,
                status,
                cast(cast(net + greatest(gross - net, 0) as decimal(14, 2)) as varchar) as gross_amount,
                cast(cast(greatest(gross - net, 0) as decimal(14, 2)) as varchar) as discount_amount,
                cast(net as varchar) as net_amount,
                day as _partition_date,
                file_ref || ':' || line as _source
            from shop_orders
        """,
        "order_items": """
            select
                order_id,
                cast(line_number as varchar) as line_number,
                sku,
                cast(quantity as varchar) as quantity,
                cast(list_unit as varchar) as list_unit_price,
                cast(paid_unit as varchar) as paid_unit_price,
                day as _partition_date,
                file_ref || ':' || line as _source
            from shop_items
        """,
    }
    try:
        for name, sql in tables.items():
            batch.add(name, work.sql(sql).to_arrow_table())
    finally:
        work.unregister("customers_seen_before")
        work.unregister("products_seen_before")
    counts = work.execute(
        """
        select file_ref, day, count(*) from (
            select file_ref, day from shop_orders where $orders
            union all select file_ref, day from shop_items
        ) group by all
        """,
        {"orders": order_rows_are_export_rows},
    ).fetchall()
    for file_ref, day, n in counts:
        batch.file_days.setdefault(file_ref, set()).add(day)
        if first_day <= day <= last_day:
            batch.to_loader[file_ref] = batch.to_loader.get(file_ref, 0) + n
    for ref, days in list(batch.file_days.items()):
        if len(days) > 2:
            batch.file_days[ref] = {min(days), max(days)}
