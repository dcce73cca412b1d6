-- Typed, de-duplicated deliveries: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{
    config(
        unique_key='delivery_id',
        pre_hook="{{ staging_forget_vanished('deliveries', ['delivery_id']) }}"
    )
}}

with source as (

    {{ staging_rows('deliveries', ['delivery_id']) }}

),

deduplicated as (

    select
        delivery_id,
        po_id,
        delivered_date,
        quantity,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by delivery_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
