-- As of the run day: the deep-discount cohort (customers whose first paid order was on a campaign day) to remind
-- before the next big promotion of the campaign calendar (seed campaign_calendar), var('campaign_notify_days_before')
-- days ahead of it (notify_date). Listed as soon as the next campaign is known, so the CRM can plan;
-- is_notify_due = the notify day has come. The channel follows the outreach rule: SMS unless it would make more than
-- var('outreach_sms_cap') SMS in the cap window ending on the notify day (counting those sent up to the as-of day),
-- else email; a customer with neither is left out.
with run_settings as (

    select {{ as_of_date() }} as as_of_date

),

next_campaign as (

    select
        arg_min(calendar.campaign_date, calendar.campaign_date) as campaign_date,
        arg_min(calendar.campaign_code, calendar.campaign_date) as campaign_code,
        arg_min(calendar.campaign_name, calendar.campaign_date) as campaign_name
    from {{ ref('campaign_calendar') }} as calendar
    cross join run_settings
    where calendar.campaign_date > run_settings.as_of_date
    having count(*) > 0

),

campaign_settings as (

    select
        run_settings.as_of_date,
        next_campaign.campaign_date,
        next_campaign.campaign_code,
        next_campaign.campaign_name,
        cast(next_campaign.campaign_date - {{ var('campaign_notify_days_before') }} as date) as notify_date
    from next_campaign
    cross join run_settings

),

cohort as (

    select * from {{ ref('dim_customers') }}
    where is_campaign_cohort

),

sms_on_notify_day as (

    -- SMS already sent that fall in the cap window ending on the notify day
    select
        contact_log.customer_id,
        count(*) as sms_count
    from {{ ref('stg_shop__contact_log') }} as contact_log
    cross join campaign_settings
    where contact_log.channel = 'sms'
        and cast(contact_log.sent_at as date) <= campaign_settings.as_of_date
        and cast(contact_log.sent_at as date)
            > campaign_settings.notify_date - {{ var('outreach_sms_cap_window_days') }}
    group by contact_log.customer_id

),

listed as (

    select
        campaign_settings.*,
        cohort.customer_id,
        cohort.acquisition_campaign,
        cohort.first_order_date,
        cohort.last_order_date,
        cohort.orders_count,
        cohort.lifecycle_stage,
        coalesce(sms_on_notify_day.sms_count, 0) as sms_in_cap_window,
        case
            when cohort.has_phone and coalesce(sms_on_notify_day.sms_count, 0) + 1 <= {{ var('outreach_sms_cap') }}
                then 'sms'
            when cohort.has_email then 'email'
        end as suggested_channel,
        cohort.phone_masked,
        cohort.email_masked
    from cohort
    cross join campaign_settings
    left join sms_on_notify_day on cohort.customer_id = sms_on_notify_day.customer_id

)

select
    as_of_date,
    campaign_date as next_campaign_date,
    cast(campaign_code as varchar) as next_campaign_code,
    cast(campaign_name as varchar) as next_campaign_name,
    notify_date,
    as_of_date >= notify_date as is_notify_due,
    customer_id,
    acquisition_campaign,
    first_order_date,
    last_order_date,
    orders_count,
    lifecycle_stage,
    cast(suggested_channel as varchar) as suggested_channel,
    cast(sms_in_cap_window as integer) as sms_in_cap_window,
    phone_masked,
    email_masked
from listed
where suggested_channel is not null
