-- Customers moving between RFM segments from one snapshot to the next. Customers absent from the previous
-- snapshot (first paid order in between) come from segment '(new)'.
-- Incremental: the pre-hook forgets the moves into every snapshot mart_customer_rfm re-computed this run
-- (rfm_snapshots_recomputed_from(), macros/incremental_from_date.sql) and into the newest one kept (the previous
-- run's as-of day, which may no longer be a snapshot); the model then appends the moves after the last one kept.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where to_snapshot_date >= least("
            ~ "{{ rfm_snapshots_recomputed_from() }}, (select max(to_snapshot_date) from {{ this }})){% endif %}"
    )
}}

with snapshot_pairs as (

    select
        snapshot_date as to_snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as from_snapshot_date
    from (select distinct snapshot_date from {{ ref('mart_customer_rfm') }}) as snapshot_dates

),

new_pairs as (

    select * from snapshot_pairs
    where from_snapshot_date is not null
    {%- if is_incremental() %}
        and to_snapshot_date > coalesce((select max(to_snapshot_date) from {{ this }}), cast('-infinity' as date))
    {%- endif %}

),

customer_rfm as (

    select
        snapshot_date,
        customer_id,
        segment
    from {{ ref('mart_customer_rfm') }}
    where snapshot_date >= (select min(from_snapshot_date) from new_pairs)

),

moves as (

    select
        snapshot_pairs.from_snapshot_date,
        snapshot_pairs.to_snapshot_date,
        coalesce(previous_rfm.segment, '(new)') as from_segment,
        current_rfm.segment as to_segment
    from new_pairs as snapshot_pairs
    inner join customer_rfm as current_rfm on snapshot_pairs.to_snapshot_date = current_rfm.snapshot_date
    left join customer_rfm as previous_rfm
        on snapshot_pairs.from_snapshot_date = previous_rfm.snapshot_date
        and current_rfm.customer_id = previous_rfm.customer_id

)

select
    from_snapshot_date,
    to_snapshot_date,
    from_segment,
    to_segment,
    from_segment = to_segment as is_same_segment,
    cast(count(*) as bigint) as customers,
    cast(count(*) as double) / sum(count(*)) over (
        partition by to_snapshot_date, from_segment
    ) as from_segment_share_rate
from moves
group by
    from_snapshot_date,
    to_snapshot_date,
    from_segment,
    to_segment
