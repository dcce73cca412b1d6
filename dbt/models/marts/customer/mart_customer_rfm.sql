-- One row per customer per snapshot: every month end since the first paid order, plus the as-of day
-- (is_current). Customers count from their first paid order on; measures are lifetime-to-date.
-- processed_at: the run that wrote the snapshot; its tests and gate look at the snapshots written since they last
-- passed (macros/tested_through.sql).
-- Incremental: re-computes the snapshots on or after incremental_from_date() (lookback or earliest day
-- loaded), the latest month end and the as-of day; the pre-hook drops the previous run's (non month-end) current rows.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='snapshot_date',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where not is_month_end{% endif %}"
    )
}}

{%- set method = var('rfm_scoring_method') %}
{%- if method not in ['quintile', 'fixed'] %}
    {{ exceptions.raise_compiler_error("dbt var rfm_scoring_method: '" ~ method ~ "' is not 'quintile' or 'fixed'") }}
{%- endif %}

with paid_orders as (

    select
        customer_id,
        ordered_date,
        net_amount
    from {{ ref('fct_orders') }}
    where is_paid
        and ordered_date <= {{ as_of_date() }}

),

snapshot_days as (

    select
        cast(month_start + interval 1 month - interval 1 day as date) as snapshot_date,
        true as is_month_end
    from range(
        date_trunc('month', (select min(ordered_date) from paid_orders)),
        date_trunc('month', {{ as_of_date() }}),
        interval 1 month
    ) as months (month_start)

    union all

    select
        {{ as_of_date() }} as snapshot_date,
        last_day({{ as_of_date() }}) = {{ as_of_date() }} as is_month_end

),

snapshots as (

    select * from snapshot_days
    {% if is_incremental() %}
    where snapshot_date >= {{ rfm_snapshots_recomputed_from() }}
    {% endif %}

),

{% if is_incremental() %}
measures as (

    -- a few snapshots: each customer's paid orders up to the snapshot, aggregated directly (at TPC-H SF10, 2 of
    -- 80 snapshots: 3.8 s instead of 9.0 s for the running totals and the as-of join below, same rows)
    select
        snapshots.snapshot_date,
        snapshots.is_month_end,
        paid_orders.customer_id,
        max(paid_orders.ordered_date) as last_order_date,
        cast(snapshots.snapshot_date - max(paid_orders.ordered_date) as integer) as recency_days,
        cast(count(*) as integer) as frequency,
        cast(sum(paid_orders.net_amount) as decimal(38, 2)) as monetary
    from snapshots
    inner join paid_orders on snapshots.snapshot_date >= paid_orders.ordered_date
    group by snapshots.snapshot_date, snapshots.is_month_end, paid_orders.customer_id

),
{% else %}
daily_orders as (

    -- one row per customer and day, so the as-of join below has exactly one match per snapshot
    select
        customer_id,
        ordered_date,
        count(*) as orders_count,
        sum(net_amount) as net_amount
    from paid_orders
    group by customer_id, ordered_date

),

running_totals as (

    -- at the end of each day with a paid order: the customer's order count and spend to date
    select
        customer_id,
        ordered_date as last_order_date,
        sum(orders_count) over customer_days as frequency,
        sum(net_amount) over customer_days as monetary
    from daily_orders
    window customer_days as (
        partition by customer_id order by ordered_date rows between unbounded preceding and current row
    )

),

first_orders as (

    select
        customer_id,
        min(last_order_date) as first_order_date
    from running_totals
    group by customer_id

),

customer_snapshots as (

    select
        snapshots.snapshot_date,
        snapshots.is_month_end,
        first_orders.customer_id
    from snapshots
    inner join first_orders on snapshots.snapshot_date >= first_orders.first_order_date

),

measures as (

    select
        customer_snapshots.snapshot_date,
        customer_snapshots.is_month_end,
        customer_snapshots.customer_id,
        running_totals.last_order_date,
        cast(customer_snapshots.snapshot_date - running_totals.last_order_date as integer) as recency_days,
        cast(running_totals.frequency as integer) as frequency,
        cast(running_totals.monetary as decimal(38, 2)) as monetary
    from customer_snapshots
    asof inner join running_totals
        on customer_snapshots.customer_id = running_totals.customer_id
        and customer_snapshots.snapshot_date >= running_totals.last_order_date

),
{% endif %}

scored as (

    select
        *,
        {%- if method == 'quintile' %}
        -- quintiles, 5 best; ties broken by the other two measures (better last), then customer_id
        cast(ntile(5) over (
            partition by snapshot_date
            order by recency_days desc, frequency, monetary, customer_id
        ) as integer) as r_score,
        cast(ntile(5) over (
            partition by snapshot_date
            order by frequency, recency_days desc, monetary, customer_id
        ) as integer) as f_score,
        cast(ntile(5) over (
            partition by snapshot_date
            order by monetary, recency_days desc, frequency, customer_id
        ) as integer) as m_score
        {%- else %}
        {%- set r = var('rfm_recency_max_days') %}
        {%- set f = var('rfm_frequency_min_orders') %}
        {%- set m = var('rfm_monetary_min_amount') %}
        case
            when recency_days <= {{ r[0] }} then 5
            when recency_days <= {{ r[1] }} then 4
            when recency_days <= {{ r[2] }} then 3
            when recency_days <= {{ r[3] }} then 2
            else 1
        end as r_score,
        case
            when frequency >= {{ f[3] }} then 5
            when frequency >= {{ f[2] }} then 4
            when frequency >= {{ f[1] }} then 3
            when frequency >= {{ f[0] }} then 2
            else 1
        end as f_score,
        case
            when monetary >= {{ m[3] }} then 5
            when monetary >= {{ m[2] }} then 4
            when monetary >= {{ m[1] }} then 3
            when monetary >= {{ m[0] }} then 2
            else 1
        end as m_score
        {%- endif %}
    from measures

),

segments as (

    select * from {{ ref('rfm_segments') }}

)

select
    scored.snapshot_date,
    scored.customer_id,
    scored.snapshot_date = {{ as_of_date() }} as is_current,
    scored.is_month_end,
    scored.last_order_date,
    scored.recency_days,
    scored.frequency,
    scored.monetary,
    scored.r_score,
    scored.f_score,
    scored.m_score,
    cast(scored.r_score as varchar) || cast(scored.f_score as varchar) || cast(scored.m_score as varchar) as rfm_cell,
    coalesce(segments.segment, 'Unmapped') as segment,
    {{ run_started_at_utc() }} as processed_at
from scored
left join segments
    on scored.r_score between segments.r_score_min and segments.r_score_max
    and scored.f_score between segments.f_score_min and segments.f_score_max
