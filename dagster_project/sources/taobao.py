"""Adapter for Taobao / Tmall seller-centre exports (已卖出的宝贝), LANDING_DIR/taobao/*.csv. No Dagster import.

Two kinds of file, told apart by their header (any name): the order export (ExportOrderList*.csv:
订单编号, 买家会员名, 买家应付货款, 买家应付邮费, 买家实际支付金额, 订单状态, 收货地址, 订单创建时间, 店铺名称, ...)
and the order-detail export (ExportOrderDetailList*.csv: 订单编号, 标题, 价格, 购买数量, 商家编码 / 外部系统编号,
商品属性, 退款状态, ...). Both come as GBK (a UTF-8 re-save reads the same). Quirks handled: order numbers
written `="1930679858170647"` (so Excel keeps the digits), phones with a leading `'`, amounts with `元` / `¥` /
thousands commas, timestamps as `2024-06-30 15:30:12` or Excel's `2024/6/30 15:30`.

Every export row ends in exactly one place (docs/landing-files.md has the table):

- an order row → `raw.orders` (status from 订单状态, STATUSES below; channel = 店铺名称; customer_id = 'tb-' + hash of
  买家会员名, which is PII; net = 买家实际支付金额 - 买家应付邮费; gross = Σ 价格 × 购买数量 of its detail lines, or
  买家应付货款 without them; discount = gross - net) and its buyer a `raw.customers` row on the first day seen
  (province / city = the first / second token of 收货地址, phone = 联系手机);
- a detail row → `raw.order_items` (sku = 商家编码, else 外部系统编号, else 'TB-' + hash of 标题 and 商品属性;
  paid unit price = 价格 scaled so the lines add up to the order's net) and its SKU a `raw.products` row;
- everything else → `quarantine.file_rows` with its rule: 'unpaid' (等待买家付款 is not a sale; a later export
  brings it once paid), 'unknown status', 'superseded' (a newer export has the order), 'null <column>',
  'unparseable <column>', 'no order row' (a detail line whose order is in no order export of the folder),
  'order set aside' (the lines of an order set aside).

All files of the folder are read by every run (exports are small), so an order's newest copy is always known.
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
DEFAULT_CHANNEL = "taobao"  # when 店铺名称 is empty

ORDER_REQUIRED = (
    "订单编号",
    "买家会员名",
    "买家应付货款",
    "买家应付邮费",
    "买家实际支付金额",
    "订单状态",
    "收货地址",
    "订单创建时间",
)
ORDER_COLUMNS = (*ORDER_REQUIRED, "店铺名称", "联系手机", "订单付款时间", "退款金额", "订单关闭原因")
DETAIL_REQUIRED = ("订单编号", "标题", "价格", "购买数量")
DETAIL_COLUMNS = (*DETAIL_REQUIRED, "商家编码", "外部系统编号", "商品属性", "退款状态")

# 订单状态 (full-width commas and spaces removed first) -> status. 'closed': refunded when it had been paid
# (订单付款时间 set), else cancelled. 'unpaid' is set aside: not a sale.
STATUSES = {
    "交易成功": "paid",
    "买家已付款,等待卖家发货": "paid",
    "卖家已发货,等待买家确认": "paid",
    "卖家部分发货": "paid",
    "买家已付款": "paid",
    "交易关闭": "closed",
    "付款以后用户退款成功,交易自动关闭": "refunded",
    "退款成功": "refunded",
    "付款以前,卖家或买家主动关闭交易": "cancelled",
    "交易超时关闭": "cancelled",
    "等待买家付款": "unpaid",
}


def _clean_code(column: str) -> str:
    """SQL: an id as Excel-proof exports write it (`="1930679858170647"`, `'1930679858170647`) as plain text."""
    return f"nullif(regexp_replace(trim(coalesce({column}, '')), '^[=''\"]+|\"+$', '', 'g'), '')"


def _timestamp(column: str) -> str:
    text = f"trim({column})"
    return (
        f"coalesce(try_cast({text} as timestamp), try_strptime({text}, '%Y/%m/%d %H:%M:%S'), "
        f"try_strptime({text}, '%Y/%m/%d %H:%M'))"
    )


def kind(read: FileRead) -> str:
    """'orders' or 'details' from the header; anything else is a one-line error naming the file."""
    from dagster_project.sources.files import LandingError

    names = {c.strip() for c in read.rows.column_names}
    if "订单编号" in names and "买家会员名" in names:
        return "orders"
    if "订单编号" in names and "购买数量" in names:
        return "details"
    raise LandingError(
        f"{read.file.path}: not a Taobao order export (columns 订单编号, 买家会员名) or order-detail export (订单编号, "
        f"购买数量); its header starts {','.join(read.rows.column_names[:4])}: is it in the right folder?"
    )


def day_span(
    con: duckdb.DuckDBPyConnection, f: LandingFile, today: dt.date, shop_tz: str = "UTC"
) -> tuple[dt.date, dt.date] | None:
    """(first, last) day of 订单创建时间 in an order export (shop-local times already, so `shop_tz` is not needed);
    None for a detail export (its lines take their order's day)."""
    from dagster_project.sources.files import read_file

    read = read_file(con, f)
    if read.empty or kind(read) != "orders":
        return None
    present = shop_exports.present_columns(read, ORDER_REQUIRED, "Taobao order export")
    con.register("taobao_rows", read.rows)
    try:
        low, high = con.execute(
            f"select min(d), max(d) from (select cast({_timestamp(_q(present['订单创建时间']))} as date) as d "
            "from taobao_rows) where d <= ?",
            [today],
        ).fetchall()[0]
    finally:
        con.unregister("taobao_rows")
    return None if low is None else (low, high)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def map_files(
    work: duckdb.DuckDBPyConnection,
    warehouse: duckdb.DuckDBPyConnection,
    reads: list[FileRead],
    first_day: dt.date,
    last_day: dt.date,
    batch: Batch,
    shop_tz: str = "UTC",
) -> None:
    """Map every Taobao export of the folder onto customers / products / orders / order_items (+ set-aside rows).
    Its times are shop-local already (`shop_tz` is for the adapters whose exports carry UTC offsets)."""
    reads = shop_exports.readable(reads, batch)
    if not reads:
        return
    ranks = shop_exports.newest_first(reads)
    orders, details = [], []
    for read in reads:
        if kind(read) == "orders":
            present = shop_exports.present_columns(read, ORDER_REQUIRED, "Taobao order export")
            orders.append(shop_exports.rows_table(read, present, ORDER_COLUMNS, ranks[read.file.ref]))
        else:
            present = shop_exports.present_columns(read, DETAIL_REQUIRED, "Taobao order-detail export")
            details.append(shop_exports.rows_table(read, present, DETAIL_COLUMNS, ranks[read.file.ref]))
    work.register("tb_order_rows", pa.concat_tables(orders) if orders else _empty(ORDER_COLUMNS))
    work.register("tb_detail_rows", pa.concat_tables(details) if details else _empty(DETAIL_COLUMNS))
    statuses = pa.table({"status_text": list(STATUSES), "mapped": list(STATUSES.values())})
    work.register("tb_statuses", statuses)
    try:
        _classify(work)
        shop_exports.set_aside(
            work,
            """
            select file_ref, line, rule, detail,
                concat_ws(',', 订单编号, 订单状态, 买家实际支付金额, 订单创建时间) as content, day
            from tb_orders where rule is not null
            union all
            select file_ref, line, rule, detail, concat_ws(',', 订单编号, 标题, 价格, 购买数量) as content, day
            from tb_items where rule is not null
            """,
            batch,
            first_day,
            last_day,
        )
        shop_exports.emit(work, warehouse, batch, first_day, last_day, order_rows_are_export_rows=True)
    finally:
        for name in ("tb_order_rows", "tb_detail_rows", "tb_statuses"):
            work.unregister(name)


def _empty(columns: tuple[str, ...]) -> pa.Table:
    return pa.table(
        {
            **{c: pa.array([], pa.string()) for c in columns},
            "file_ref": pa.array([], pa.string()),
            "line": pa.array([], pa.int64()),
            "file_rank": pa.array([], pa.int64()),
        }
    )


def _classify(work: duckdb.DuckDBPyConnection) -> None:
    """tb_orders / tb_items (every export row, typed, with its rule or NULL) and shop_orders / shop_items (the
    rows to load), all in the scratch connection."""
    amounts = ("买家应付货款", "买家应付邮费", "买家实际支付金额", "退款金额")
    unparseable = "\n".join(
        f"when nullif(trim({c}), '') is not null and {amount_sql(c)} is null then 'unparseable {c}'" for c in amounts
    )
    work.execute(
        f"""
        create or replace temp table tb_orders as
        select
            *,
            -- what the buyer pays for the goods (postage is not revenue); a cancelled order, or a refunded one the
            -- export shows with nothing paid, keeps the goods amount it was placed for
            case when status = 'cancelled' or (status = 'refunded' and coalesce(paid, 0) = 0) then goods
                else greatest(coalesce(paid, 0) - postage, 0) end as net
        from (
        with typed as (
            select
                *,
                {_clean_code("订单编号")} as order_id,
                {shop_exports.hashed_key_sql("tb-", "买家会员名")} as customer_id,
                {_timestamp("订单创建时间")} as ordered_at,
                replace(replace(replace(trim(coalesce(订单状态, '')), '，', ','), ' ', ''), '　', '') as status_text,
                coalesce({amount_sql("买家应付货款")}, 0) as goods,
                coalesce({amount_sql("买家应付邮费")}, 0) as postage,
                {amount_sql("买家实际支付金额")} as paid,
                coalesce({amount_sql("退款金额")}, 0) as refund,
                nullif(trim(coalesce(订单付款时间, '')), '') is not null as was_paid,
                coalesce(nullif(trim(店铺名称), ''), '{DEFAULT_CHANNEL}') as channel,
                regexp_split_to_array(trim(regexp_replace(coalesce(收货地址, ''), '\\s+', ' ', 'g')), ' ') as address,
                nullif(regexp_replace(trim(coalesce(联系手机, '')), '^''+', ''), '') as phone
            from tb_order_rows
        ),
        ranked as (
            select
                typed.*,
                tb_statuses.mapped,
                row_number() over (partition by order_id order by file_rank, line) as copy_rank,
                first_value(file_ref || ':' || line) over (partition by order_id order by file_rank, line) as newest
            from typed
            left join tb_statuses using (status_text)
        )
        select
            *,
            cast(ordered_at as date) as day,
            case
                when order_id is null then 'null 订单编号'
                when copy_rank > 1 then 'superseded'
                when customer_id is null then 'null 买家会员名'
                when ordered_at is null then 'unparseable 订单创建时间'
                when mapped is null then 'unknown status'
                when mapped = 'unpaid' then 'unpaid'
                {unparseable}
                when paid is null then 'null 买家实际支付金额'
            end as rule,
            case
                when copy_rank > 1 then 'a newer export has this order: ' || newest
                when mapped is null then '订单状态 ' || coalesce(订单状态, '(empty)') || ' is not one of the known '
                    || 'Taobao statuses (docs/landing-files.md): add it to sources/taobao.py STATUSES'
                when mapped = 'unpaid' then '订单状态 ' || 订单状态 || ': not a sale until paid'
            end as detail,
            case
                when mapped = 'closed' then case when was_paid or paid > 0 then 'refunded' else 'cancelled' end
                when mapped = 'paid' and paid > 0 and refund >= paid then 'refunded'
                else mapped
            end as status
        from ranked
        )
        """
    )
    work.execute(
        f"""
        create or replace temp table tb_items as
        with typed as (
            select
                *,
                {_clean_code("订单编号")} as order_id,
                try_cast(trim(购买数量) as integer) as quantity,
                cast({amount_sql("价格")} as decimal(12, 2)) as price,
                coalesce(
                    {_clean_code("商家编码")}, {_clean_code("外部系统编号")},
                    'TB-' || left(md5(coalesce(trim(标题), '') || '|' || coalesce(trim(商品属性), '')), 10)
                ) as sku,
                trim(coalesce(退款状态, '')) = '退款成功' as refunded_line
            from tb_detail_rows
        ),
        ranked as (
            select
                typed.*,
                min(file_rank) over (partition by order_id) as newest_rank,
                first_value(file_ref) over (partition by order_id order by file_rank) as newest
            from typed
        )
        select
            ranked.*,
            o.day,
            case
                when ranked.order_id is null then 'null 订单编号'
                when ranked.file_rank > ranked.newest_rank then 'superseded'
                when o.order_id is null then 'no order row'
                when o.rule is not null then 'order set aside'
                when quantity is null then 'unparseable 购买数量'
                when price is null then 'unparseable 价格'
            end as rule,
            case
                when ranked.file_rank > ranked.newest_rank then 'a newer export has this order: ' || ranked.newest
                when o.order_id is null then '订单编号 ' || ranked.order_id || ' is in no order export of taobao/'
                when o.rule is not null then 'its order ' || o.file_ref || ':' || o.line || ' is set aside: ' || o.rule
            end as detail
        from ranked
        left join tb_orders as o on o.order_id = ranked.order_id and o.copy_rank = 1
        """
    )
    work.execute(
        """
        create or replace temp table shop_items as
        with lines as (
            select
                tb_items.*,
                row_number() over (partition by order_id order by line) as line_number,
                sum(quantity * price) over (partition by order_id) as lines_gross
            from tb_items where rule is null
        )
        select
            lines.order_id, line_number, sku, quantity, price as list_unit,
            cast(
                case when lines_gross > 0 then round(price * o.net / lines_gross, 2)
                    else price end
                as decimal(12, 2)
            ) as paid_unit,
            trim(coalesce(标题, '') || ' ' || coalesce(商品属性, '')) as style,
            lines.day, lines.file_ref, lines.line, refunded_line
        from lines
        join tb_orders as o on o.order_id = lines.order_id and o.copy_rank = 1
        """
    )
    work.execute(
        """
        create or replace temp table shop_orders as
        with lines as (
            select order_id, sum(quantity * list_unit) as lines_gross, bool_and(refunded_line) as all_refunded
            from shop_items group by order_id
        )
        select
            o.order_id, o.customer_id, o.ordered_at, o.day, o.channel,
            case when o.status = 'paid' and lines.all_refunded then 'refunded' else o.status end as status,
            cast(coalesce(lines.lines_gross, o.goods) as decimal(14, 2)) as gross,
            cast(o.net as decimal(14, 2)) as net,
            nullif(o.address[1], '') as province,
            nullif(o.address[2], '') as city,
            o.phone,
            cast(null as varchar) as email,
            o.file_ref, o.line
        from tb_orders as o
        left join lines using (order_id)
        where o.rule is null
        """
    )
