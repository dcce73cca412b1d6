-- Typed, de-duplicated deliveries: the latest loaded copy of each key wins.
with source as (

    select * from {{ source('shop', 'deliveries') }}

),

deduplicated as (

    select
        delivery_id,
        po_id,
        delivered_date,
        quantity,
        _partition_date as partition_date,
        _load_id as load_id,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by delivery_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
