-- Per RFM snapshot and segment: customers, share, lifetime revenue and its share, average scores, and the size at
-- the previous month end (the latest month-end snapshot before this one) with the change since.
with customer_rfm as (

    select * from {{ ref('mart_customer_rfm') }}

),

segment_totals as (

    select
        snapshot_date,
        segment,
        bool_or(is_current) as is_current,
        count(*) as customers,
        sum(monetary) as revenue,
        avg(r_score) as avg_r_score,
        avg(f_score) as avg_f_score,
        avg(m_score) as avg_m_score,
        avg(recency_days) as avg_recency_days,
        avg(frequency) as avg_frequency,
        avg(monetary) as avg_monetary
    from customer_rfm
    group by snapshot_date, segment

),

shared as (

    select
        *,
        cast(customers as double) / sum(customers) over (partition by snapshot_date) as customer_share_rate
    from segment_totals

),

snapshots as (

    select distinct
        snapshot_date,
        is_month_end
    from customer_rfm

),

previous_month_ends as (

    -- each snapshot's previous month end: the latest month-end snapshot before it (none for the first)
    select
        snapshots.snapshot_date,
        max(month_ends.snapshot_date) as previous_month_end_date
    from snapshots
    inner join snapshots as month_ends
        on snapshots.snapshot_date > month_ends.snapshot_date
        and month_ends.is_month_end
    group by snapshots.snapshot_date

)

select
    shared.snapshot_date,
    shared.segment,
    shared.is_current,
    cast(shared.customers as bigint) as customers,
    shared.customer_share_rate,
    cast(shared.revenue as decimal(38, 2)) as revenue,
    cast(
        shared.revenue / nullif(sum(shared.revenue) over (partition by shared.snapshot_date), 0) as double
    ) as revenue_share_rate,
    cast(shared.avg_r_score as double) as avg_r_score,
    cast(shared.avg_f_score as double) as avg_f_score,
    cast(shared.avg_m_score as double) as avg_m_score,
    cast(shared.avg_recency_days as double) as avg_recency_days,
    cast(shared.avg_frequency as double) as avg_frequency,
    cast(shared.avg_monetary as decimal(14, 2)) as avg_monetary,
    previous_month_ends.previous_month_end_date,
    -- 0 when the segment was empty at the previous month end; null when there is none
    cast(
        case when previous_month_ends.previous_month_end_date is not null then coalesce(previous.customers, 0) end
        as bigint
    ) as previous_month_end_customers,
    cast(
        shared.customers - case
            when previous_month_ends.previous_month_end_date is not null then coalesce(previous.customers, 0)
        end as bigint
    ) as customers_change,
    cast(
        shared.customer_share_rate - case
            when previous_month_ends.previous_month_end_date is not null then coalesce(previous.customer_share_rate, 0)
        end as double
    ) as customer_share_change
from shared
left join previous_month_ends on shared.snapshot_date = previous_month_ends.snapshot_date
left join shared as previous
    on previous_month_ends.previous_month_end_date = previous.snapshot_date
    and shared.segment = previous.segment
