-- Typed, de-duplicated order_items: the latest loaded copy of each key wins.
with source as (

    select * from {{ source('shop', 'order_items') }}

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
        _source as source_ref
    from source
    qualify row_number() over (
        partition by order_id, line_number
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
