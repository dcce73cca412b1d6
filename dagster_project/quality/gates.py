"""The quality gates: which check guards which asset, and what data each one sees.

Two kinds, both blocking Dagster asset checks (defs/quality/checks.py):

* raw gates, per raw table, on the latest load: row accounting (rows in = loaded + quarantined), the quarantine
  tolerance (settings.QUARANTINE_TOLERANCE) and a GX suite over a per-day SQL profile of the load (schema, keys,
  value ranges, timestamps not in the future, volume against the previous 28 days). Failing any of them stops dbt.
* mart gates: a GX suite per published mart (keys, ranges, allowed values) and reconciliation totals between
  marts. Failing any of them stops the publish.

Each GX gate's expectations live in expectations/gx/expectations/<name>.json (written by
`python -m dagster_project.quality.suites`); this file only says what data a suite sees. Queries return an
aggregate or the few columns a suite needs, so GX never pulls a whole fact table into pandas: row-level rules run
in SQL (warehouse/rules.py, dbt tests), GX checks shapes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dagster_project.sources.contract import RAW_TABLES, RawTable
from dagster_project.warehouse.rules import FUTURE_SLACK_DAYS, NON_NEGATIVE, POSITIVE_PRICES, POSITIVE_QUANTITIES

VOLUME_BASELINE_DAYS = 28  # a day's volume is compared with the mean of this many previous days of the load
VOLUME_MIN_BASELINE_ROWS = 20  # below this daily mean the comparison is noise and is skipped (ratio null)
# Campaign days (1111, 1212, 618) legitimately run up to ~24x a normal day's sign-ups and ~13x its orders
# (measured at SCALE=1); the gate is for collapses (a missing export) and explosions (a file loaded 100 times).
VOLUME_RATIO_RANGE = (0.05, 50.0)
# Only event tables get the volume check. Dimension tables are partitioned by the day a row first appears (sign-up,
# launch, onboarding): their daily volume legitimately falls towards zero as an export ages (Online Retail's new
# SKUs per day drop to 2% of the first weeks' within 20 days).
VOLUME_CHECKED_TABLES = (
    "orders",
    "order_items",
    "purchase_orders",
    "deliveries",
    "inspections",
    "material_purchases",
    "contact_log",
)


@dataclass(frozen=True)
class Gate:
    name: str  # suite, validation definition and checkpoint name
    asset_key: tuple[str, ...]  # the Dagster asset whose blocking check this is
    query: str  # runs on the build database (named parameters: $load_id); its result is what the suite sees
    description: str
    parameters: tuple[str, ...] = field(default=())  # suite parameters the check passes at run time


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw_schema_signature(table: RawTable) -> str:
    """The raw table's columns as the build database must report them (contract + load metadata)."""
    from dagster_project.warehouse.raw import META_COLUMNS

    return ", ".join([f"{c.name} {c.type}" for c in table.columns] + [f"{n} {t}" for n, t in META_COLUMNS])


def raw_profile_columns(table: RawTable) -> dict[str, str]:
    """Profile column -> SQL aggregate over one partition day of the load."""
    columns = {
        "rows_loaded": "count(*)",
        "null_keys": "count(*) filter (where " + " or ".join(f"{_q(k)} is null" for k in table.key) + ")",
        "duplicate_keys": "count(*) - count(distinct (" + ", ".join(_q(k) for k in table.key) + "))",
    }
    for group in (POSITIVE_QUANTITIES, POSITIVE_PRICES, NON_NEGATIVE):
        for name in group.get(table.name, ()):
            columns[f"min_{name}"] = f"min({_q(name)})::double"
    if table.date_column is not None:
        columns["max_event_at"] = f"max({_q(table.date_column)})::timestamp"
    return columns


def raw_gate(table: RawTable) -> Gate:
    profile = ",\n".join(f"{sql} as {name}" for name, sql in raw_profile_columns(table).items())
    query = f"""
        with load_rows as (
            select * from raw.{table.name} where _load_id = $load_id
        ),
        daily as (
            select
                _partition_date::timestamp as partition_date,
                {profile}
            from load_rows
            group by _partition_date
        ),
        with_baseline as (
            select
                *,
                avg(rows_loaded) over previous_days as baseline_rows,
                count(*) over previous_days as baseline_days
            from daily
            window previous_days as (
                order by partition_date rows between {VOLUME_BASELINE_DAYS} preceding and 1 preceding
            )
        )
        select
            * exclude (baseline_rows, baseline_days),
            case
                when baseline_days >= 7 and baseline_rows >= {VOLUME_MIN_BASELINE_ROWS}
                    then rows_loaded / baseline_rows
            end as volume_ratio,
            (
                select rows_quarantined / greatest(rows_in, 1)
                from meta.load_history
                where load_id = $load_id and table_name = '{table.name}'
            ) as quarantined_share,
            (
                select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position)
                from information_schema.columns
                where table_schema = 'raw' and table_name = '{table.name}'
            ) as raw_schema
        from with_baseline
        order by partition_date
    """
    return Gate(
        name=f"raw_{table.name}",
        asset_key=("raw", table.name),
        query=query,
        description=f"Latest load of raw.{table.name}: schema, keys, ranges, no future timestamps, daily volume",
        parameters=("quarantine_tolerance", "max_event_at") if table.date_column else ("quarantine_tolerance",),
    )


def max_event_at(last_day: dt.date) -> dt.datetime:
    """Latest event time a load of [.., last_day] may hold (same slack as the quarantine's future rule)."""
    return dt.datetime.combine(last_day + dt.timedelta(days=FUTURE_SLACK_DAYS + 1), dt.time())


RAW_GATES: tuple[Gate, ...] = tuple(raw_gate(table) for table in RAW_TABLES.values())

MART_GATES: tuple[Gate, ...] = (
    Gate(
        name="marts_fct_orders_daily",
        asset_key=("marts", "fct_orders"),
        query="""
            select
                ordered_date,
                count(*) as orders,
                count(*) - count(distinct order_id) as duplicate_order_ids,
                count(*) filter (where is_paid) as paid_orders,
                min(net_amount) as min_net_amount,
                count(*) filter (where net_amount > gross_amount) as net_above_gross,
                sum(net_amount) filter (where is_paid) as paid_net_amount
            from marts.fct_orders
            group by ordered_date
            order by ordered_date
        """,
        description="Orders per day: no duplicate ids, no negative or above-gross net amounts.",
    ),
    Gate(
        name="marts_fct_orders_values",
        asset_key=("marts", "fct_orders"),
        query="""
            select
                status,
                channel,
                is_paid,
                count(*) as orders,
                min(items_count) as min_items_count,
                min(units_count)::bigint as min_units_count
            from marts.fct_orders
            group by all
            order by all
        """,
        description="Allowed values of status and channel; every order has at least one line and one unit.",
    ),
    Gate(
        name="marts_dim_customers",
        asset_key=("marts", "dim_customers"),
        query="select customer_id, orders_count, net_revenue from marts.dim_customers",
        description="Customer keys unique and present; paid orders and revenue never negative.",
    ),
    Gate(
        name="marts_reconciliation",
        asset_key=("marts", "dim_customers"),
        query="""
            with customer_totals as (
                select
                    sum(net_revenue) as net_revenue,
                    sum(orders_count) as orders_count
                from marts.dim_customers
            ),
            order_totals as (
                select
                    sum(net_amount) filter (where is_paid) as net_revenue,
                    count(*) filter (where is_paid) as orders_count
                from marts.fct_orders
            )
            select
                'dim_customers vs fct_orders' as reconciliation,
                customer_totals.net_revenue::double as dim_customers_net_revenue,
                order_totals.net_revenue::double as fct_orders_paid_net_amount,
                (customer_totals.net_revenue - order_totals.net_revenue)::double as net_revenue_difference,
                customer_totals.orders_count - order_totals.orders_count as orders_count_difference
            from customer_totals, order_totals
        """,
        description="Totals agree between marts: sum(dim_customers.net_revenue) = paid sum(fct_orders.net_amount), "
        "sum(orders_count) = paid orders.",
    ),
)

GATES: tuple[Gate, ...] = RAW_GATES + MART_GATES
