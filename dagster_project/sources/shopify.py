"""Adapter for Shopify order exports (Admin → Orders → Export, CSV), LANDING_DIR/shopify/*.csv. No Dagster import.

One row per line item; the order's own fields (Email, Financial Status, Paid at, Subtotal, Discount Amount,
Billing Province, Cancelled at, Refunded Amount, ...) are filled on the first row of an order only, so rows are
grouped by `Name` (#1001) and read from that first row. Timestamps carry a UTC offset (`2024-06-01 10:15:00 -0400`)
and are converted to the shop's time zone (SHOP_TZ); a partition day is a day there.

Every export row ends in exactly one place (docs/landing-files.md has the table):

- a line-item row of a loaded order → `raw.order_items` (sku = Lineitem sku, else 'SH-' + hash of Lineitem name;
  list unit = Lineitem compare at price when above Lineitem price, else the price; paid unit = the price scaled so
  the lines add up to Subtotal, i.e. order-level discount codes spread over the lines) and its SKU a
  `raw.products` row; the order → `raw.orders` (status from Financial Status, STATUSES below, `cancelled` when
  Cancelled at is set and it was not refunded; net = Subtotal; gross = Σ quantity × list unit; channel `shopify`;
  customer_id = 'sh-' + hash of the lower-cased Email, which is PII) and its buyer → `raw.customers`;
- everything else → `quarantine.file_rows` with its rule: 'unpaid' (pending / authorized / partially_paid /
  expired: not a sale), 'unknown status', 'superseded' (a newer export has the order), 'null Email' (guest or
  POS orders have no customer), 'no order fields' (an order whose first row lacks them), 'unparseable <column>'.

Partial refunds are not netted from revenue (status stays paid; the contract has no refund amount).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from dagster_project.sources import shop_exports
from dagster_project.sources.shop_exports import amount_sql

if TYPE_CHECKING:
    from dagster_project.sources.files import Batch, FileRead, LandingFile

TABLES = shop_exports.TABLES
CHANNEL = "shopify"
REQUIRED = ("Name", "Email", "Financial Status", "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price")
COLUMNS = (
    *REQUIRED,
    "Subtotal",
    "Discount Amount",
    "Paid at",
    "Lineitem sku",
    "Lineitem compare at price",
    "Billing Province",
    "Billing City",
    "Billing Phone",
    "Phone",
    "Cancelled at",
    "Refunded Amount",
)
KIND = "Shopify orders export"

# Financial Status (lower case) -> status; 'unpaid' is set aside (not a sale)
STATUSES = {
    "paid": "paid",
    "partially_refunded": "paid",
    "refunded": "refunded",
    "voided": "cancelled",
    "pending": "unpaid",
    "authorized": "unpaid",
    "partially_paid": "unpaid",
    "expired": "unpaid",
}


def _check_kind(read: FileRead) -> None:
    from dagster_project.sources.files import LandingError

    names = {c.strip().lower() for c in read.rows.column_names}
    if not {"name", "lineitem quantity"} <= names:
        raise LandingError(
            f"{read.file.path}: not a {KIND} (columns Name, Lineitem quantity, ...); its header starts "
            f"{','.join(read.rows.column_names[:4])}: is it in the right folder?"
        )


def _local_time(column: str, shop_tz: str) -> str:
    """SQL: a Shopify timestamp in the shop's time zone (naive). With an offset (`2024-06-01 10:15:00 -0400`, ISO
    `2024-06-01T10:15:00-04:00`) it is converted; without one it is taken as shop time already."""
    text = f"trim({column})"
    zone = shop_tz.replace("'", "''")
    return (
        f"coalesce(timezone('{zone}', try_strptime({text}, '%Y-%m-%d %H:%M:%S %z')), "
        f"case when regexp_matches({text}, '([+-][0-9]{{2}}:?[0-9]{{2}}|Z)$') "
        f"then timezone('{zone}', try_cast({text} as timestamptz)) end, "
        f"try_cast({text} as timestamp))"
    )


def _rows(reads: list[FileRead]) -> pa.Table:
    ranks = shop_exports.newest_first(reads)
    parts = []
    for read in reads:
        _check_kind(read)
        present = shop_exports.present_columns(read, REQUIRED, KIND)
        parts.append(shop_exports.rows_table(read, present, COLUMNS, ranks[read.file.ref]))
    return pa.concat_tables(parts)


def day_span(
    con: duckdb.DuckDBPyConnection, f: LandingFile, today: dt.date, shop_tz: str = "UTC"
) -> tuple[dt.date, dt.date] | None:
    """(first, last) day, in the shop's time zone, of the orders' Created at."""
    from dagster_project.sources.files import read_file

    read = read_file(con, f)
    if read.empty:
        return None
    created = _local_time('"Created at"', shop_tz)
    con.register("shopify_rows", _rows([read]))
    try:
        low, high = con.execute(
            f"select min(d), max(d) from (select cast({created} as date) as d from shopify_rows) where d <= ?",
            [today],
        ).fetchall()[0]
    finally:
        con.unregister("shopify_rows")
    return None if low is None else (low, high)


def map_files(
    work: duckdb.DuckDBPyConnection,
    warehouse: duckdb.DuckDBPyConnection,
    reads: list[FileRead],
    first_day: dt.date,
    last_day: dt.date,
    batch: Batch,
    shop_tz: str = "UTC",
) -> None:
    """Map every Shopify export of the folder onto customers / products / orders / order_items (+ set-aside rows)."""
    reads = shop_exports.readable(reads, batch)
    if not reads:
        return
    work.register("sh_rows", _rows(reads))
    work.register("sh_statuses", pa.table({"status_text": list(STATUSES), "mapped": list(STATUSES.values())}))
    try:
        _classify(work, shop_tz)
        shop_exports.set_aside(
            work,
            """
            select file_ref, line, rule, detail,
                concat_ws(',', "Name", "Financial Status", "Lineitem quantity", "Lineitem price", "Lineitem sku")
                    as content,
                day
            from sh_lines where rule is not null
            """,
            batch,
            first_day,
            last_day,
        )
        shop_exports.emit(work, warehouse, batch, first_day, last_day, order_rows_are_export_rows=False)
    finally:
        work.unregister("sh_rows")
        work.unregister("sh_statuses")


def _classify(work: duckdb.DuckDBPyConnection, shop_tz: str) -> None:
    """sh_lines (every export row, typed, with its order's fields and its rule or NULL) and shop_orders /
    shop_items (the rows to load), in the scratch connection."""
    created = _local_time('"Created at"', shop_tz)
    email_key = shop_exports.hashed_key_sql("sh-", 'lower("Email")')
    subtotal, discount = amount_sql('o."Subtotal"'), amount_sql('o."Discount Amount"')
    price, compare_at = amount_sql('r."Lineitem price"'), amount_sql('r."Lineitem compare at price"')
    amounts = ("Subtotal", "Discount Amount")
    unparseable = "\n".join(
        f"when nullif(trim(o.{_q(c)}), '') is not null and {amount_sql('o.' + _q(c))} is null then 'unparseable {c}'"
        for c in amounts
    )
    work.execute(
        f"""
        create or replace temp table sh_lines as
        with rows_ as (
            select *, nullif(trim("Name"), '') as order_id from sh_rows
        ),
        newest as (  -- the export that wins for each order, and the first row of the order in it
            select order_id, min(file_rank) as file_rank, arg_min(file_ref, file_rank) as file_ref
            from rows_ where order_id is not null group by order_id
        ),
        firsts as (
            select rows_.* from rows_
            join newest using (order_id, file_rank)
            qualify row_number() over (partition by rows_.order_id order by rows_.line) = 1
        ),
        orders as (
            select
                firsts.*,
                lower(trim(coalesce("Financial Status", ''))) as status_text,
                {created} as ordered_at,
                nullif(trim(coalesce("Cancelled at", '')), '') is not null as was_cancelled,
                {email_key} as customer_id
            from firsts
        )
        select
            r.*,
            cast(o.ordered_at as date) as day,
            o.ordered_at, o.customer_id, o.line as order_line,
            case
                when o.mapped = 'refunded' then 'refunded'
                when o.was_cancelled then 'cancelled'
                else o.mapped
            end as status,
            {subtotal} as order_subtotal,
            coalesce({discount}, 0) as order_discount,
            nullif(trim(o."Billing Province"), '') as province,
            nullif(trim(o."Billing City"), '') as city,
            coalesce(nullif(trim(o."Phone"), ''), nullif(trim(o."Billing Phone"), '')) as buyer_phone,
            nullif(lower(trim(o."Email")), '') as buyer_email,
            try_cast(trim(r."Lineitem quantity") as integer) as quantity,
            cast({price} as decimal(12, 2)) as price,
            cast({compare_at} as decimal(12, 2)) as compare_at,
            coalesce(nullif(trim(r."Lineitem sku"), ''), 'SH-' || left(md5(trim(coalesce(r."Lineitem name", ''))), 10))
                as sku,
            case
                when r.order_id is null then 'null Name'
                when r.file_rank > n.file_rank then 'superseded'
                when o.status_text = '' then 'no order fields'
                when o.mapped is null then 'unknown status'
                when o.mapped = 'unpaid' and not o.was_cancelled then 'unpaid'
                when o.ordered_at is null then 'unparseable Created at'
                when o.customer_id is null then 'null Email'
                {unparseable}
                when try_cast(trim(r."Lineitem quantity") as integer) is null then 'unparseable Lineitem quantity'
                when {price} is null then 'unparseable Lineitem price'
            end as rule,
            case
                when r.file_rank > n.file_rank then 'a newer export has this order: ' || n.file_ref
                when o.status_text = '' then 'the first row of ' || r.order_id || ' in ' || n.file_ref
                    || ' has no Financial Status (order fields are on the first row of an order)'
                when o.mapped is null then 'Financial Status ' || o.status_text || ' is not one of the known Shopify '
                    || 'statuses (docs/landing-files.md): add it to sources/shopify.py STATUSES'
                when o.mapped = 'unpaid' then 'Financial Status ' || o.status_text || ': not a sale until paid'
            end as detail
        from rows_ as r
        left join newest as n on n.order_id = r.order_id
        left join (select orders.*, sh_statuses.mapped from orders left join sh_statuses using (status_text)) as o
            on o.order_id = r.order_id
        """
    )
    work.execute(
        """
        create or replace temp table shop_items as
        with lines as (
            select
                *,
                row_number() over (partition by order_id order by line) as line_number,
                sum(quantity * price) over (partition by order_id) as lines_paid
            from sh_lines where rule is null
        ),
        nets as (
            select *, coalesce(order_subtotal, greatest(lines_paid - order_discount, 0)) as net from lines
        )
        select
            order_id, line_number, sku, quantity,
            cast(greatest(price, coalesce(compare_at, price)) as decimal(12, 2)) as list_unit,
            cast(case when lines_paid > 0 then round(price * net / lines_paid, 2) else price end as decimal(12, 2))
                as paid_unit,
            nullif(trim("Lineitem name"), '') as style,
            day, file_ref, line,
            ordered_at, customer_id, status, net, province, city, buyer_phone as phone, buyer_email as email,
            order_line
        from nets
        """
    )
    work.execute(
        f"""
        create or replace temp table shop_orders as
        select
            order_id, any_value(customer_id) as customer_id, any_value(ordered_at) as ordered_at,
            any_value(day) as day, '{CHANNEL}' as channel, any_value(status) as status,
            cast(sum(quantity * list_unit) as decimal(14, 2)) as gross,
            cast(any_value(net) as decimal(14, 2)) as net,
            any_value(province) as province, any_value(city) as city, any_value(phone) as phone,
            any_value(email) as email, any_value(file_ref) as file_ref, min(order_line) as line
        from shop_items
        group by order_id
        """
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
