-- Typed, de-duplicated orders: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{
    config(
        unique_key='order_id',
        pre_hook="{{ staging_forget_vanished('orders', ['order_id']) }}"
    )
}}

with source as (

    {{ staging_rows('orders', ['order_id']) }}

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
        _loaded_at as loaded_at,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by order_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
