-- Contacts rolled up by the week they were sent (Monday) x purpose x channel: how many went out, to how many
-- customers, how many converted within var('contact_conversion_window_days') days, the revenue credited to them
-- (last touch, mart_contact_effectiveness) and the SMS-cap breaches. Rates count only contacts whose window is
-- complete by the as-of day (null while none is), so a recent week is not read as a flop.
with contacts as (

    select * from {{ ref('mart_contact_effectiveness') }}

)

select
    sent_week,
    purpose,
    channel,
    cast(count(*) as bigint) as contacts,
    cast(count(distinct customer_id) as bigint) as customers_contacted,
    cast(count(*) filter (where is_window_complete) as bigint) as complete_contacts,
    cast(count(*) filter (where is_window_complete and is_converted) as bigint) as converted_contacts,
    cast(count(distinct customer_id) filter (where is_window_complete and is_converted) as bigint)
        as converted_customers,
    cast(
        count(*) filter (where is_window_complete and is_converted)
        / nullif(count(*) filter (where is_window_complete), 0) as double
    ) as conversion_rate,
    cast(sum(attributed_orders) as bigint) as attributed_orders,
    cast(sum(attributed_revenue) as decimal(38, 2)) as attributed_revenue,
    cast(sum(attributed_revenue) / count(*) as decimal(14, 2)) as attributed_revenue_per_contact,
    cast(count(*) filter (where breaks_sms_cap) as bigint) as sms_cap_breaches
from contacts
group by sent_week, purpose, channel
