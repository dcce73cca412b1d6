-- Typed, de-duplicated contact_log: the latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{
    config(
        unique_key='contact_id',
        pre_hook="{{ staging_forget_vanished('contact_log', ['contact_id']) }}"
    )
}}

with source as (

    {{ staging_rows('contact_log', ['contact_id']) }}

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
        _loaded_at as loaded_at,
        _source as source_ref
    from source
    qualify row_number() over (
        partition by contact_id
        order by _loaded_at desc, _source desc
    ) = 1

)

select * from deduplicated
