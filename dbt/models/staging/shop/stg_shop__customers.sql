-- Typed, de-duplicated customers. PII stops here: only masked phone / email go further down.
-- The latest loaded copy of each key wins; incremental (macros/staging_latest_copy.sql).
{{ config(unique_key='customer_id') }}

with source as (

    {{ staging_rows() }}

),

deduplicated as (

    select
        customer_id,
        signup_date,
        birth_year,
        gender,
        province,
        city,
        acquisition_channel,
        phone is not null and phone <> '' as has_phone,
        email is not null and email <> '' as has_email,
        case
            when length(phone) >= 7 then left(phone, 3) || repeat('*', length(phone) - 7) || right(phone, 4)
        end as phone_masked,
        case
            when email like '%@%' then left(email, 1) || '***@' || split_part(email, '@', 2)
        end as email_masked,
        _partition_date as partition_date,
        _load_id as load_id,
        _loaded_at as loaded_at,
        _source as source_ref,
        {{ run_started_at_utc() }} as processed_at
    from source
    {{ staging_latest_copy() }}

)

select * from deduplicated
