"""The Great Expectations gates: which suite checks which asset, fed by which query.

Each gate's expectations live in expectations/gx/expectations/<name>.json (edit them there, or with GX); this file
only says what data a suite sees. Queries select just the columns a suite needs, or an aggregate, so GX never
pulls a whole fact table into pandas: row-level rules run in SQL (dbt tests, quarantine), GX checks shapes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gate:
    name: str  # suite, validation definition and checkpoint name
    asset_key: tuple[str, ...]  # the Dagster asset whose blocking check this is
    query: str  # runs on the build database; its result is what the suite validates
    description: str


GATES: tuple[Gate, ...] = (
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
        name="marts_dim_customers",
        asset_key=("marts", "dim_customers"),
        query="select customer_id, orders_count, net_revenue from marts.dim_customers",
        description="Customer keys unique and present; paid orders and revenue never negative.",
    ),
)
