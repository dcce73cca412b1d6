-- Typed, de-duplicated factories: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{ config(unique_key='factory_id') }}

with source as (

    {{ staging_rows() }}

),

deduplicated as (

    select
        factory_id,
        factory_name,
        province,
        onboarded_date,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref,
        {{ run_started_at_utc() }} as processed_at
    from source
    {{ staging_latest_copy() }}

)

select * from deduplicated
