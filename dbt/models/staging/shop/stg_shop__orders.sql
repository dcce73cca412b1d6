-- Typed, de-duplicated orders: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{ config(unique_key='order_id') }}

with source as (

    {{ staging_rows() }}

),

deduplicated as (

    select
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as ordered_date,
        channel,
        campaign_code,
        status,
        gross_amount,
        discount_amount,
        net_amount,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref,
        {{ run_started_at_utc() }} as processed_at
    from source
    {{ staging_latest_copy() }}

)

select * from deduplicated
