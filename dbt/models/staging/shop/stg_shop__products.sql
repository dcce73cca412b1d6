-- Typed, de-duplicated products: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{ config(unique_key='sku') }}

with source as (

    {{ staging_rows() }}

),

deduplicated as (

    select
        sku,
        category,
        style,
        list_price,
        launch_date,
        factory_id,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref,
        {{ run_started_at_utc() }} as processed_at
    from source
    {{ staging_latest_copy() }}

)

select * from deduplicated
