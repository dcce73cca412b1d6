-- Typed, de-duplicated inspections: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{ config(unique_key='inspection_id') }}

with source as (

    {{ staging_rows() }}

),

deduplicated as (

    select
        inspection_id,
        delivery_id,
        inspected_date,
        inspected_qty,
        passed_qty,
        defect_type,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref,
        {{ run_started_at_utc() }} as processed_at
    from source
    {{ staging_latest_copy() }}

)

select * from deduplicated
