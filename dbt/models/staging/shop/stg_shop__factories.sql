-- Typed, de-duplicated factories: the latest loaded copy of each key wins.
with source as (

    select * from {{ source('shop', 'factories') }}

),

deduplicated as (

    select
        factory_id,
        factory_name,
        province,
        onboarded_date,
        _partition_date as partition_date,
        _load_id as load_id,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by factory_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
