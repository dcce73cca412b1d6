-- Typed, de-duplicated purchase_orders: the latest loaded copy of each key wins.
with source as (

    select * from {{ source('shop', 'purchase_orders') }}

),

deduplicated as (

    select
        po_id,
        factory_id,
        sku,
        quantity,
        ordered_date,
        promised_date,
        _partition_date as partition_date,
        _load_id as load_id,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by po_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
