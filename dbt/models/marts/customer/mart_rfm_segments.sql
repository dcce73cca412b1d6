-- Per RFM snapshot and segment: customers, share, lifetime revenue and its share, average scores.
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

)

select
    snapshot_date,
    segment,
    is_current,
    cast(customers as bigint) as customers,
    cast(customers as double) / sum(customers) over (partition by snapshot_date) as customer_share_rate,
    cast(revenue as decimal(38, 2)) as revenue,
    cast(revenue / nullif(sum(revenue) over (partition by snapshot_date), 0) as double) as revenue_share_rate,
    cast(avg_r_score as double) as avg_r_score,
    cast(avg_f_score as double) as avg_f_score,
    cast(avg_m_score as double) as avg_m_score,
    cast(avg_recency_days as double) as avg_recency_days,
    cast(avg_frequency as double) as avg_frequency,
    cast(avg_monetary as decimal(14, 2)) as avg_monetary
from segment_totals
