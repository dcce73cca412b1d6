-- Typed, de-duplicated orders: the latest loaded copy of each key wins.
with source as (

    select * from {{ source('shop', 'orders') }}

),

deduplicated as (

    select
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as ordered_date,
        channel,
        campaign_code,
        status,
        gross_amount,
        discount_amount,
        net_amount,
        _partition_date as partition_date,
        _load_id as load_id,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by order_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
