-- One row per paid order: how deep its discount actually was (discount / gross), the buyer's purchase tier when
-- placing it (from the paid orders before it), and whether it broke the loyal cap - a customer already in one of
-- var('outreach_loyal_tiers') got more than var('outreach_loyal_max_discount_rate') off. The same rule
-- mart_outreach_candidates keeps for the discounts it suggests; here it is checked on the orders placed.
with paid_orders as (

    select * from {{ ref('fct_orders') }}
    where is_paid

),

depth as (

    select
        order_id,
        customer_id,
        ordered_date,
        channel,
        campaign_code,
        customer_order_number,
        -- the tier the customer was in when ordering: the paid orders placed before this one
        {{ customer_purchase_tier('customer_order_number - 1') }} as tier_at_order,
        gross_amount,
        discount_amount,
        net_amount,
        cast(discount_amount / nullif(gross_amount, 0) as double) as discount_rate
    from paid_orders

)

select
    order_id,
    customer_id,
    ordered_date,
    channel,
    campaign_code,
    cast(customer_order_number as bigint) as customer_order_number,
    cast(tier_at_order as varchar) as tier_at_order,
    coalesce(tier_at_order in ('{{ var("outreach_loyal_tiers") | join("', '") }}'), false) as is_loyal_at_order,
    gross_amount,
    discount_amount,
    net_amount,
    coalesce(discount_rate, 0) as discount_rate,
    coalesce(
        tier_at_order in ('{{ var("outreach_loyal_tiers") | join("', '") }}')
        -- a cent of rounding is no breach: 15% off 199.00 is 29.85
        and discount_amount > round(gross_amount * {{ var('outreach_loyal_max_discount_rate') }}, 2),
        false
    ) as breaks_loyal_cap
from depth
