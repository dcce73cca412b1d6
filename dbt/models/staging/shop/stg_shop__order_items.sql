-- Typed, de-duplicated order_items: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{ config(unique_key=['order_id', 'line_number']) }}

with source as (

    {{ staging_rows() }}

),

deduplicated as (

    select
        order_id,
        line_number,
        sku,
        quantity,
        list_unit_price,
        paid_unit_price,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref,
        {{ run_started_at_utc() }} as processed_at
    from source
    {{ staging_latest_copy() }}

)

select * from deduplicated
