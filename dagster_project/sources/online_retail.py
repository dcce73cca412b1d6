"""Adapter for the UCI Online Retail export (LANDING_DIR/online_retail/*.csv, one file per trading day).

Columns: InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country. Each export
row ends in exactly one place (docs/landing-files.md has the table):

- a sale line (invoice not starting with 'C', customer present, Quantity > 0, UnitPrice > 0) becomes one
  `order_items` row; its invoice one `orders` row (status 'paid', channel 'web', net = gross = sum of
  Quantity * UnitPrice, rounded to cents once per invoice); the buyer a `customers` row and each StockCode a
  `products` row, both on the day they are first seen;
- every other row is set aside in `quarantine.file_rows` with its rule: 'cancellation' (InvoiceNo 'C...'),
  'null customer' (guest checkout), 'quantity ≤ 0', 'price ≤ 0', 'unparseable <column>';
- exact duplicate rows are kept as separate lines (the export has no line id and the standard cleaning counts
  them) and counted in meta.file_loads.duplicate_rows.

This is the "standard cleaning" of the literature, so dim_customers reproduces its 4,338 customers and
8,911,407.90 revenue. Customers and products are emitted only on the first day they appear (looking at the raw
tables for days before this run), so a day-by-day load and one full load give the same raw rows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

if TYPE_CHECKING:
    from dagster_project.sources.files import Batch, FileRead

COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country")
TABLES = ("customers", "products", "orders", "order_items")
CHANNEL = "web"
CATEGORY = "uncategorised"  # the export has no product categories


def _rows(read: FileRead) -> pa.Table:
    """The export columns (exact names, case-insensitive) + file ref, day and line; a missing column fails."""
    from dagster_project.sources.files import LandingError

    f = read.file
    present = {c.strip().lower(): c for c in read.rows.column_names if c != "_line"}
    missing = [c for c in COLUMNS if c.lower() not in present]
    if missing:
        raise LandingError(
            f"{f.path}: missing Online Retail column(s) {', '.join(missing)}: the header must be {','.join(COLUMNS)}"
        )
    if f.name_day is None:
        raise LandingError(f"{f.path}: Online Retail files need their trading day in the name, e.g. 2011-12-09.csv")
    n = read.rows.num_rows
    return pa.table(
        {
            **{c: read.rows.column(present[c.lower()]).cast(pa.string()) for c in COLUMNS},
            "file_ref": pa.array([f.ref] * n, pa.string()),
            "file_day": pa.array([f.name_day] * n, pa.date32()),
            "line": read.rows.column("_line"),
        }
    )


def map_files(
    work: duckdb.DuckDBPyConnection,
    warehouse: duckdb.DuckDBPyConnection,
    reads: list[FileRead],
    first_day: dt.date,
    batch: Batch,
) -> None:
    """Map the export files of one run onto customers / products / orders / order_items (+ set-aside rows)."""
    from dagster_project.sources.files import _aside

    for read in reads:
        for line, reason, content in read.rejects:
            batch.set_aside.append(_aside(read.file, line, "unparseable", reason, content, read.file.name_day))
    parts = [_rows(r) for r in reads if not r.empty]
    if not parts:
        return
    work.register("export_rows", pa.concat_tables(parts))
    work.execute(
        """
        create or replace temp table classified as
        with typed as (
            select
                *,
                trim(InvoiceNo) as order_id,
                try_cast(Quantity as integer) as qty,
                try_cast(UnitPrice as decimal(18, 4)) as price,
                try_cast(InvoiceDate as timestamp) as invoiced_at,
                cast(try_cast(try_cast(nullif(trim(CustomerID), '') as double) as bigint) as varchar) as customer_id,
                nullif(trim(StockCode), '') as sku
            from export_rows
        )
        select
            *,
            case
                when order_id is null or order_id = '' then 'null invoice'
                when upper(order_id) like 'C%' then 'cancellation'
                when nullif(trim(CustomerID), '') is null then 'null customer'
                when customer_id is null then 'unparseable CustomerID'
                when qty is null then 'unparseable Quantity'
                when price is null then 'unparseable UnitPrice'
                when invoiced_at is null then 'unparseable InvoiceDate'
                when sku is null then 'null StockCode'
                when qty <= 0 then 'quantity ≤ 0'
                when price <= 0 then 'price ≤ 0'
            end as rule
        from typed
        """
    )
    work.unregister("export_rows")
    aside = work.execute(
        """
        select file_ref, line, rule,
            'InvoiceNo=' || coalesce(InvoiceNo, '') || ' Quantity=' || coalesce(Quantity, '')
                || ' UnitPrice=' || coalesce(UnitPrice, '') || ' CustomerID=' || coalesce(CustomerID, ''),
            concat_ws(',', InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country),
            file_day
        from classified
        where rule is not null
        order by file_ref, line
        """
    ).fetchall()
    for file_ref, line, rule, detail, content, day in aside:
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
    earlier = _seen_before(warehouse, first_day)
    work.register("customers_seen_before", earlier["customers"])
    work.register("products_seen_before", earlier["products"])
    tables = {
        "order_items": """
            select
                order_id,
                cast(row_number() over (partition by order_id order by file_ref, line) as varchar) as line_number,
                sku,
                cast(qty as varchar) as quantity,
                cast(price as varchar) as list_unit_price,
                cast(price as varchar) as paid_unit_price,
                file_day as _partition_date,
                file_ref || ':' || line as _source
            from classified
            where rule is null
        """,
        "orders": f"""
            select
                order_id,
                min(customer_id) as customer_id,
                cast(min(invoiced_at) as varchar) as ordered_at,
                '{CHANNEL}' as channel,
                cast(null as varchar) as campaign_code,
                'paid' as status,
                cast(round(sum(qty * price), 2) as varchar) as gross_amount,
                '0.00' as discount_amount,
                cast(round(sum(qty * price), 2) as varchar) as net_amount,
                min(file_day) as _partition_date,
                min(file_ref) || ':' || min(line) as _source
            from classified
            where rule is null
            group by order_id
        """,
        "customers": f"""
            select
                customer_id,
                cast(min(file_day) as varchar) as signup_date,
                cast(null as varchar) as birth_year,
                cast(null as varchar) as gender,
                arg_min(Country, (invoiced_at, line)) as province,
                cast(null as varchar) as city,
                '{CHANNEL}' as acquisition_channel,
                cast(null as varchar) as phone,
                cast(null as varchar) as email,
                min(file_day) as _partition_date,
                arg_min(file_ref || ':' || line, (invoiced_at, line)) as _source
            from classified
            where rule is null
                and customer_id not in (select key from customers_seen_before where key is not null)
            group by customer_id
        """,
        "products": f"""
            select
                sku,
                '{CATEGORY}' as category,
                coalesce(arg_min(nullif(trim(Description), ''), (file_day, line)), sku) as style,
                cast(arg_min(price, (file_day, line)) as varchar) as list_price,
                cast(min(file_day) as varchar) as launch_date,
                cast(null as varchar) as factory_id,
                min(file_day) as _partition_date,
                arg_min(file_ref || ':' || line, (file_day, line)) as _source
            from classified
            where rule is null
                and sku not in (select key from products_seen_before where key is not null)
            group by sku
        """,
    }
    for name, sql in tables.items():
        batch.add(name, work.sql(sql).to_arrow_table())
    work.unregister("customers_seen_before")
    work.unregister("products_seen_before")
    for file_ref, loaded in work.execute(
        "select file_ref, count(*) from classified where rule is null group by file_ref"
    ).fetchall():
        batch.to_loader[file_ref] = batch.to_loader.get(file_ref, 0) + loaded


def _seen_before(warehouse: duckdb.DuckDBPyConnection, first_day: dt.date) -> dict[str, pa.Table]:
    """Customer ids and SKUs already in raw partitions before this run's first day (not re-emitted)."""
    result = {}
    for name, key in (("customers", "customer_id"), ("products", "sku")):
        exists = warehouse.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = ?", [name]
        ).fetchall()[0][0]
        sql = (
            f"select distinct {key} as key from raw.{name} where _partition_date < date '{first_day.isoformat()}'"
            if exists
            else "select cast(null as varchar) as key where false"
        )
        result[name] = warehouse.sql(sql).to_arrow_table()
    return result
