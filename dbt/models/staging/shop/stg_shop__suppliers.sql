-- Typed, de-duplicated suppliers: the latest loaded copy of each key wins.
with source as (

    select * from {{ source('shop', 'suppliers') }}

),

deduplicated as (

    select
        supplier_id,
        supplier_name,
        material,
        is_designated,
        onboarded_date,
        _partition_date as partition_date,
        _load_id as load_id,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by supplier_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
