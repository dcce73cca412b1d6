-- Outreach never suggests an SMS that would exceed var outreach_sms_cap within the cap window (counting
-- contact_log), never lists someone contacted in the last var outreach_min_days_since_contact days, and never
-- offers a loyal customer more than var outreach_loyal_max_discount_rate.
-- reads several models: attach it (as a blocking Dagster check) to the one it guards
{{ config(meta={'dagster': {'ref': {'name': 'mart_outreach_candidates'}}}) }}

with outreach as (

    select * from {{ ref('mart_outreach_candidates') }}

),

contacts as (

    select
        outreach.customer_id,
        count(*) filter (
            where contact_log.channel = 'sms'
                and cast(contact_log.sent_at as date) > outreach.as_of_date - {{ var('outreach_sms_cap_window_days') }}
        ) as sms_in_window,
        max(cast(contact_log.sent_at as date)) as last_contact_date
    from outreach
    inner join {{ ref('stg_shop__contact_log') }} as contact_log
        on outreach.customer_id = contact_log.customer_id
        and cast(contact_log.sent_at as date) <= outreach.as_of_date
    group by outreach.customer_id

)

select
    outreach.customer_id,
    outreach.suggested_channel,
    contacts.sms_in_window,
    contacts.last_contact_date,
    outreach.max_discount_rate
from outreach
left join contacts on outreach.customer_id = contacts.customer_id
where (outreach.suggested_channel = 'sms' and coalesce(contacts.sms_in_window, 0) + 1 > {{ var('outreach_sms_cap') }})
    or outreach.as_of_date - contacts.last_contact_date < {{ var('outreach_min_days_since_contact') }}
    or (outreach.is_loyal and outreach.max_discount_rate > {{ var('outreach_loyal_max_discount_rate') }})
