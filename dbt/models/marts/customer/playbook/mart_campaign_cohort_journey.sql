-- Per campaign cohort (the customers whose first paid order was on a campaign day: campaign code x that day): did
-- they come back, and how - their next (second) paid order's price level (full price = no discount on the order,
-- else discounted), whether it held a new drop (a SKU of a drop, int_product_drop_skus, ordered within
-- var('new_sku_max_age_days') days of its drop day), whether it was again on a campaign day, and the AOV change from
-- the first to the next order over the customers who came back.
with paid_orders as (

    select
        order_id,
        customer_id,
        ordered_date,
        customer_order_number,
        campaign_code,
        discount_amount,
        net_amount
    from {{ ref('fct_orders') }}
    where is_paid and customer_order_number <= 2

),

first_orders as (

    select * from paid_orders
    where customer_order_number = 1 and campaign_code is not null

),

next_orders as (

    select * from paid_orders
    where customer_order_number = 2

),

new_drop_orders as (

    select distinct next_orders.order_id
    from next_orders
    inner join {{ ref('stg_shop__order_items') }} as order_items on next_orders.order_id = order_items.order_id
    inner join {{ ref('int_product_drop_skus') }} as drop_skus on order_items.sku = drop_skus.sku
    where next_orders.ordered_date - drop_skus.drop_date between 0 and {{ var('new_sku_max_age_days') }}

),

journeys as (

    select
        first_orders.ordered_date as cohort_date,
        first_orders.campaign_code,
        first_orders.customer_id,
        first_orders.net_amount as first_net_amount,
        next_orders.order_id as next_order_id,
        next_orders.ordered_date - first_orders.ordered_date as days_to_next_order,
        next_orders.discount_amount > 0 as next_is_discounted,
        next_orders.campaign_code is not null as next_is_campaign,
        new_drop_orders.order_id is not null as next_has_new_drop,
        next_orders.net_amount as next_net_amount
    from first_orders
    left join next_orders on first_orders.customer_id = next_orders.customer_id
    left join new_drop_orders on next_orders.order_id = new_drop_orders.order_id

),

cohorts as (

    select
        cohort_date,
        campaign_code,
        count(*) as cohort_customers,
        avg(first_net_amount) as first_order_aov,
        count(next_order_id) as next_orders,
        count(*) filter (where not next_is_discounted) as next_full_price_orders,
        count(*) filter (where next_is_discounted) as next_discounted_orders,
        count(*) filter (where next_has_new_drop) as next_new_drop_orders,
        count(*) filter (where next_is_campaign) as next_campaign_orders,
        median(days_to_next_order) as median_days_to_next_order,
        avg(first_net_amount) filter (where next_order_id is not null) as returners_first_order_aov,
        avg(next_net_amount) as next_order_aov
    from journeys
    group by all

)

select
    cohort_date,
    cast(campaign_code as varchar) as campaign_code,
    cast(cohort_customers as bigint) as cohort_customers,
    cast(first_order_aov as decimal(14, 2)) as first_order_aov,
    cast(next_orders as bigint) as next_orders,
    cast(next_orders / cohort_customers as double) as next_order_rate,
    cast(next_full_price_orders as bigint) as next_full_price_orders,
    cast(next_discounted_orders as bigint) as next_discounted_orders,
    cast(next_full_price_orders / nullif(next_orders, 0) as double) as next_full_price_rate,
    cast(next_new_drop_orders as bigint) as next_new_drop_orders,
    cast(next_new_drop_orders / nullif(next_orders, 0) as double) as next_new_drop_rate,
    cast(next_campaign_orders as bigint) as next_campaign_orders,
    cast(median_days_to_next_order as double) as median_days_to_next_order,
    cast(returners_first_order_aov as decimal(14, 2)) as returners_first_order_aov,
    cast(next_order_aov as decimal(14, 2)) as next_order_aov,
    cast(next_order_aov - returners_first_order_aov as decimal(14, 2)) as aov_change,
    cast(next_order_aov / nullif(returners_first_order_aov, 0) - 1 as double) as aov_change_rate
from cohorts
