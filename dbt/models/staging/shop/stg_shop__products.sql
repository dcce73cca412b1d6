-- Typed, de-duplicated products: the latest loaded copy of each key wins.
with source as (

    select * from {{ source('shop', 'products') }}

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
        _source as source_ref
    from source
    qualify row_number() over (
        partition by sku
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
