-- Typed, de-duplicated inspections: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{
    config(
        unique_key='inspection_id',
        pre_hook="{{ staging_forget_vanished('inspections', ['inspection_id']) }}"
    )
}}

with source as (

    {{ staging_rows('inspections', ['inspection_id']) }}

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
        _source as source_ref
    from source
    qualify row_number() over (
        partition by inspection_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
