-- Typed, de-duplicated contact_log: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{ config(unique_key='contact_id') }}

with source as (

    {{ staging_rows() }}

),

deduplicated as (

    select
        contact_id,
        customer_id,
        channel,
        sent_at,
        purpose,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref,
        {{ run_started_at_utc() }} as processed_at
    from source
    {{ staging_latest_copy() }}

)

select * from deduplicated
