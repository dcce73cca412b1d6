-- Typed, de-duplicated contact_log: the latest loaded copy of each key wins.
with source as (

    select * from {{ source('shop', 'contact_log') }}

),

deduplicated as (

    select
        contact_id,
        customer_id,
        channel,
        sent_at,
        purpose,
        _partition_date as partition_date,
        _load_id as load_id,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by contact_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
