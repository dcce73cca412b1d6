-- New SKUs sold on campaign days: per campaign day (a day with paid orders carrying a campaign code) and SKU
-- launched at most var('new_sku_max_age_days') days before it, the units, orders and revenue and how deep the
-- discount was. New drops should sell at full price; a new SKU here is a new drop given away in a promotion.
with paid_orders as (

    select
        order_id,
        ordered_date,
        campaign_code
    from {{ ref('fct_orders') }}
    where is_paid and campaign_code is not null

),

lines as (

    select
        paid_orders.ordered_date as campaign_date,
        paid_orders.campaign_code,
        paid_orders.order_id,
        order_items.sku,
        products.style,
        products.category,
        products.launch_date,
        order_items.quantity,
        {{ line_list_amount('order_items') }} as list_amount,
        order_items.quantity * order_items.paid_unit_price as paid_amount
    from paid_orders
    inner join {{ ref('stg_shop__order_items') }} as order_items on paid_orders.order_id = order_items.order_id
    inner join {{ ref('stg_shop__products') }} as products on order_items.sku = products.sku
    where paid_orders.ordered_date - products.launch_date between 0 and {{ var('new_sku_max_age_days') }}

)

select
    campaign_date,
    cast(any_value(campaign_code order by campaign_code) as varchar) as campaign_code,
    sku,
    any_value(style) as style,
    any_value(category) as category,
    launch_date,
    cast(campaign_date - launch_date as integer) as days_since_launch,
    cast(count(distinct order_id) as bigint) as orders_count,
    cast(sum(quantity) as bigint) as units,
    cast(sum(paid_amount) as decimal(38, 2)) as net_amount,
    cast(sum(list_amount - paid_amount) as decimal(38, 2)) as discount_amount,
    cast(sum(list_amount - paid_amount) / nullif(sum(list_amount), 0) as double) as discount_depth_rate
from lines
group by campaign_date, sku, launch_date
