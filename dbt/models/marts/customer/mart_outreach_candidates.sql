-- As of the run day: who to contact, why, how, and the deepest discount allowed. One row per customer, the
-- first reason that applies (follow-up, campaign-cohort care, high value at risk, repurchase due, dormant wake-up), ranked by
-- lifetime value. Never an SMS that would make more than var('outreach_sms_cap') in the cap window (email
-- instead, or nobody), nobody contacted in the last var('outreach_min_days_since_contact') days.
{%- set discount_rates = var('outreach_discount_rates') %}
with customers as (

    select * from {{ ref('dim_customers') }}
    where orders_count > 0

),

run_settings as (

    select {{ as_of_date() }} as as_of_date

),

contacts as (

    select
        contact_log.customer_id,
        contact_log.channel,
        cast(contact_log.sent_at as date) as sent_date
    from {{ ref('stg_shop__contact_log') }} as contact_log
    cross join run_settings
    where cast(contact_log.sent_at as date) <= run_settings.as_of_date

),

contact_history as (

    select
        contacts.customer_id,
        count(*) filter (
            where contacts.channel = 'sms'
                and contacts.sent_date > run_settings.as_of_date - {{ var('outreach_sms_cap_window_days') }}
        ) as recent_sms_count,
        max(contacts.sent_date) as last_contact_date
    from contacts
    cross join run_settings
    group by contacts.customer_id

),

reasons as (

    select
        customers.customer_id,
        run_settings.as_of_date,
        case
            when customers.orders_count = 1
                and run_settings.as_of_date - customers.first_order_date = {{ var('outreach_follow_up_day') }}
                then 'new_buyer_follow_up'
            -- won on a deep-discount day and not back: a care touch without discount (outreach_discount_rates)
            when customers.is_campaign_cohort
                and customers.orders_count = 1
                and run_settings.as_of_date - customers.first_order_date = {{ var('outreach_campaign_care_day') }}
                then 'campaign_cohort_care'
            when customers.lifecycle_stage = 'at_risk'
                and customers.spend_level in ('{{ var("outreach_high_value_spend_levels") | join("', '") }}')
                then 'high_value_at_risk'
            when run_settings.as_of_date - customers.expected_next_order_date
                between {{ var('outreach_repurchase_offset_days') }}
                and {{ var('outreach_repurchase_offset_days') + var('outreach_repurchase_window_days') - 1 }}
                and customers.lifecycle_stage in ('active', 'new', 'at_risk')
                then 'repurchase_due'
            when customers.lifecycle_stage = 'dormant'
                then 'dormant_wake_up'
        end as outreach_reason
    from customers
    cross join run_settings

),

candidates as (

    select
        reasons.as_of_date,
        reasons.outreach_reason,
        customers.*,
        coalesce(contact_history.recent_sms_count, 0) as recent_sms_count,
        contact_history.last_contact_date,
        customers.purchase_tier in ('{{ var("outreach_loyal_tiers") | join("', '") }}') as is_loyal,
        case
            when customers.has_phone
                and coalesce(contact_history.recent_sms_count, 0) + 1 <= {{ var('outreach_sms_cap') }}
                then 'sms'
            when customers.has_email then 'email'
        end as suggested_channel,
        case reasons.outreach_reason
        {%- for reason, rate in discount_rates.items() %}
            when '{{ reason }}' then {{ rate }}
        {%- endfor %}
        end as reason_discount_rate
    from reasons
    inner join customers on reasons.customer_id = customers.customer_id
    left join contact_history on reasons.customer_id = contact_history.customer_id
    where reasons.outreach_reason is not null

),

eligible as (

    select *
    from candidates
    where suggested_channel is not null
        and (
            last_contact_date is null
            or as_of_date - last_contact_date >= {{ var('outreach_min_days_since_contact') }}
        )

)

select
    as_of_date,
    cast(row_number() over (order by net_revenue desc, customer_id) as bigint) as priority_rank,
    customer_id,
    cast(outreach_reason as varchar) as outreach_reason,
    cast(suggested_channel as varchar) as suggested_channel,
    cast(
        case
            when is_loyal then least(reason_discount_rate, {{ var('outreach_loyal_max_discount_rate') }})
            else reason_discount_rate
        end as double
    ) as max_discount_rate,
    is_loyal,
    purchase_tier,
    lifecycle_stage,
    rfm_segment,
    spend_level,
    orders_count,
    net_revenue,
    days_since_last_order,
    expected_next_order_date,
    cast(recent_sms_count as integer) as recent_sms_count,
    cast(as_of_date - last_contact_date as integer) as days_since_last_contact,
    phone_masked,
    email_masked
from eligible
