-- Typed, de-duplicated order_items: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{
    config(
        unique_key=['order_id', 'line_number'],
        pre_hook="{{ staging_forget_vanished('order_items', ['order_id', 'line_number']) }}"
    )
}}

with source as (

    {{ staging_rows('order_items', ['order_id', 'line_number']) }}

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
        _source as source_ref
    from source
    qualify row_number() over (
        partition by order_id, line_number
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
