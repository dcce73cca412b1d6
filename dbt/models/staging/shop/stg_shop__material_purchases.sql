-- Typed, de-duplicated material_purchases: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{ config(unique_key='purchase_id') }}

with source as (

    {{ staging_rows() }}

),

deduplicated as (

    select
        purchase_id,
        factory_id,
        supplier_id,
        material,
        quantity,
        amount,
        is_designated_supplier,
        purchased_date,
        promised_date,
        received_date,
        defective_qty,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref,
        {{ run_started_at_utc() }} as processed_at
    from source
    {{ staging_latest_copy() }}

)

select * from deduplicated
