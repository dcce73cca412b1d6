"""The floor: hand-written DuckDB SQL in one process, from the raw Parquet files to RFM scores and the
factory x month scorecard. No orchestration, no tests, no staging tables: the fastest a careful person gets.

    python -m bench.baselines.floor RAW_DIR AS_OF OUT_DIR

RAW_DIR holds `<raw table>.parquet` (exported from the build DB's `raw` schema, so all three implementations
see the same rows). Results go to OUT_DIR/rfm.parquet and OUT_DIR/scorecard.parquet; timings to stdout as JSON.
The definitions mirror dbt/models/marts/customer/mart_customer_rfm.sql and
dbt/models/marts/supply/mart_factory_scorecard.sql (see bench/README.md, "What the baselines compute").
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from bench.baselines import ON_TIME_MAX_DAYS_EARLY, ON_TIME_MAX_DAYS_LATE

# Same cleaning as staging: the latest loaded copy of each key wins.
LATEST = "qualify row_number() over (partition by {key} order by _loaded_at desc, _source desc) = 1"

RFM_SQL = """
with orders as (
    select * from read_parquet('{raw}/orders.parquet')
    {latest_orders}
),
paid_orders as (
    select
        customer_id,
        cast(ordered_at as date) as ordered_date,
        net_amount
    from orders
    where status = 'paid'
      and customer_id is not null
      and cast(ordered_at as date) <= date '{as_of}'
),
customer_totals as (
    select
        customer_id,
        date '{as_of}' - max(ordered_date) as recency_days,
        count(*) as frequency,
        sum(net_amount) as monetary
    from paid_orders
    group by customer_id
)
select
    customer_id,
    recency_days,
    frequency,
    monetary,
    -- quintiles, 5 best; ties broken by the other two measures, then customer_id (as mart_customer_rfm)
    ntile(5) over (order by recency_days desc, frequency, monetary, customer_id) as r_score,
    ntile(5) over (order by frequency, recency_days desc, monetary, customer_id) as f_score,
    ntile(5) over (order by monetary, recency_days desc, frequency, customer_id) as m_score
from customer_totals
"""

SCORECARD_SQL = """
with purchase_orders as (
    select * from read_parquet('{raw}/purchase_orders.parquet')
    {latest_pos}
),
deliveries as (
    select * from read_parquet('{raw}/deliveries.parquet')
    {latest_deliveries}
),
inspections as (
    select * from read_parquet('{raw}/inspections.parquet')
    {latest_inspections}
),
delivered as (
    select
        purchase_orders.factory_id,
        cast(date_trunc('month', deliveries.delivered_date) as date) as month_date,
        deliveries.delivery_id,
        deliveries.quantity,
        deliveries.delivered_date
            between purchase_orders.promised_date - {early} and purchase_orders.promised_date + {late}
            as is_on_time
    from deliveries
    join purchase_orders on deliveries.po_id = purchase_orders.po_id
    where deliveries.delivered_date <= date '{as_of}'
),
inspected as (
    select
        delivered.factory_id,
        delivered.month_date,
        sum(inspections.inspected_qty) as inspected_units,
        sum(inspections.passed_qty) as passed_units
    from inspections
    join delivered on inspections.delivery_id = delivered.delivery_id
    where inspections.inspected_date <= date '{as_of}'
    group by all
),
delivery_totals as (
    select
        factory_id,
        month_date,
        count(*) as deliveries_count,
        sum(quantity) as delivered_units,
        avg(case when is_on_time then 1.0 else 0.0 end) as on_time_rate
    from delivered
    group by all
)
select
    delivery_totals.factory_id,
    delivery_totals.month_date,
    delivery_totals.deliveries_count,
    delivery_totals.delivered_units,
    delivery_totals.on_time_rate,
    coalesce(inspected.inspected_units, 0) as inspected_units,
    coalesce(inspected.passed_units, 0) as passed_units,
    inspected.passed_units / nullif(inspected.inspected_units, 0) as pass_rate
from delivery_totals
left join inspected
    on delivery_totals.factory_id = inspected.factory_id
    and delivery_totals.month_date = inspected.month_date
"""


def sql(template: str, raw: Path, as_of: str) -> str:
    return template.format(
        raw=raw.as_posix(),
        as_of=as_of,
        early=ON_TIME_MAX_DAYS_EARLY,
        late=ON_TIME_MAX_DAYS_LATE,
        latest_orders=LATEST.format(key="order_id"),
        latest_pos=LATEST.format(key="po_id"),
        latest_deliveries=LATEST.format(key="delivery_id"),
        latest_inspections=LATEST.format(key="inspection_id"),
    )


def main(raw_dir: str, as_of: str, out_dir: str) -> None:
    started = time.perf_counter()
    raw, out = Path(raw_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"copy ({sql(RFM_SQL, raw, as_of)}) to '{out / 'rfm.parquet'}' (format parquet)")
    rfm_s = time.perf_counter() - started
    con.execute(f"copy ({sql(SCORECARD_SQL, raw, as_of)}) to '{out / 'scorecard.parquet'}' (format parquet)")
    print(json.dumps({"rfm_s": rfm_s, "total_s": time.perf_counter() - started}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
