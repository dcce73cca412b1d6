-- One row per CRM contact sent up to the as-of day: did the customer buy (a paid order) within
-- var('contact_conversion_window_days') calendar days, which paid orders and revenue it is credited with (last
-- touch: a paid order is credited to the customer's latest contact sent at or before it, if that contact is at most
-- the window old), and whether it broke the SMS cap (the (cap+1)-th SMS to the customer within
-- var('outreach_sms_cap_window_days') days, the same rule mart_outreach_candidates keeps for the SMS it suggests).
-- The window starts at sent_at (an order placed before the contact the same day is not its conversion).
{%- set window_days = var('contact_conversion_window_days') %}
with run_settings as (

    select {{ as_of_date() }} as as_of_date

),

contacts as (

    select
        contact_log.contact_id,
        contact_log.customer_id,
        contact_log.channel,
        contact_log.purpose,
        contact_log.sent_at,
        cast(contact_log.sent_at as date) as sent_date
    from {{ ref('stg_shop__contact_log') }} as contact_log
    cross join run_settings
    where cast(contact_log.sent_at as date) <= run_settings.as_of_date
        and contact_log.customer_id is not null

),

paid_orders as (

    select
        order_id,
        customer_id,
        ordered_at,
        ordered_date,
        net_amount
    from {{ ref('fct_orders') }}
    where is_paid

),

-- ASOF joins pick one of the rows tied on the timestamp at random: each side keeps one row per customer and
-- instant (the first order id, the last contact id), so the same data always credits the same contact
distinct_paid_orders as (

    select * from paid_orders
    qualify row_number() over (partition by customer_id, ordered_at order by order_id) = 1

),

distinct_contacts as (

    select * from contacts
    qualify row_number() over (partition by customer_id, sent_at order by contact_id desc) = 1

),

-- the first paid order at or after each contact (ASOF: the nearest one)
next_orders as (

    select
        contacts.contact_id,
        paid_orders.order_id as next_order_id,
        paid_orders.ordered_at as next_ordered_at,
        paid_orders.ordered_date as next_ordered_date
    from contacts
    asof inner join distinct_paid_orders as paid_orders
        on contacts.customer_id = paid_orders.customer_id
        and contacts.sent_at <= paid_orders.ordered_at

),

-- last touch: each paid order's latest contact at or before it, credited when it is within the window
credited_orders as (

    select
        contacts.contact_id,
        count(*) as attributed_orders,
        sum(paid_orders.net_amount) as attributed_revenue
    from paid_orders
    asof inner join distinct_contacts as contacts
        on paid_orders.customer_id = contacts.customer_id
        and paid_orders.ordered_at >= contacts.sent_at
    where paid_orders.ordered_date <= contacts.sent_date + {{ window_days }}
    group by contacts.contact_id

),

sms_cap as (

    select
        contact_id,
        -- the SMS `cap` places earlier is inside the window ending on this SMS's day: this one is SMS number cap+1
        coalesce(
            lag(sent_date, {{ var('outreach_sms_cap') }}) over (
                partition by customer_id order by sent_at, contact_id
            ) > sent_date - {{ var('outreach_sms_cap_window_days') }},
            false
        ) as breaks_sms_cap
    from contacts
    where channel = 'sms'

)

select
    contacts.contact_id,
    contacts.customer_id,
    contacts.channel,
    contacts.purpose,
    contacts.sent_at,
    contacts.sent_date,
    cast(date_trunc('week', contacts.sent_date) as date) as sent_week,
    run_settings.as_of_date,
    contacts.sent_date + {{ window_days }} <= run_settings.as_of_date as is_window_complete,
    coalesce(next_orders.next_ordered_date <= contacts.sent_date + {{ window_days }}, false) as is_converted,
    next_orders.next_order_id,
    cast(next_orders.next_ordered_date - contacts.sent_date as integer) as days_to_next_order,
    cast(coalesce(credited_orders.attributed_orders, 0) as integer) as attributed_orders,
    cast(coalesce(credited_orders.attributed_revenue, 0) as decimal(14, 2)) as attributed_revenue,
    coalesce(sms_cap.breaks_sms_cap, false) as breaks_sms_cap
from contacts
cross join run_settings
left join next_orders on contacts.contact_id = next_orders.contact_id
left join credited_orders on contacts.contact_id = credited_orders.contact_id
left join sms_cap on contacts.contact_id = sms_cap.contact_id
