-- One row per customer with at least one paid order: paid-order totals, acquisition (first paid order),
-- discounted-item share and preferred category. Reused by dim_customers and the outreach list.
-- Incremental: the pre-hook forgets the customers whose orders fct_orders re-processed (touched_customers(),
-- macros/incremental_from_date.sql) and those whose paid-order count no longer matches fct_orders (an order moved
-- to another customer or dropped; a customer left with no paid order); the model then aggregates the customers
-- with a paid order and no row here, so each customer is aggregated once, as in a full rebuild.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='customer_id',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}{{ forget_reaggregated_customers() }}{% endif %}"
    )
}}

-- depends_on: {{ ref('stg_shop__orders') }}
with paid_orders as (

    select * from {{ ref('fct_orders') }}
    where is_paid
    {%- if is_incremental() %}
        and customer_id not in (select customer_id from {{ this }})
    {%- endif %}

),

order_totals as (

    select
        customer_id,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        count(*) as orders_count,
        sum(net_amount) as net_revenue,
        sum(gross_amount) as gross_revenue,
        sum(items_count) as items_count,
        sum(discounted_items_count) as discounted_items_count,
        -- the first paid order's values, NULL included: arg_min skips rows whose value is NULL, so a customer
        -- won on a regular day who later bought on 11.11 would count as won by the campaign
        arg_min_null(channel, customer_order_number) as first_order_channel,
        arg_min_null(campaign_code, customer_order_number) as first_order_campaign_code
    from paid_orders
    group by customer_id

),

category_units as (

    select
        paid_orders.customer_id,
        products.category,
        sum(order_items.quantity) as units,
        sum(order_items.quantity * order_items.paid_unit_price) as net_amount
    from {{ ref('stg_shop__order_items') }} as order_items
    inner join paid_orders on order_items.order_id = paid_orders.order_id
    inner join {{ ref('stg_shop__products') }} as products on order_items.sku = products.sku
    group by all

),

preferred_categories as (

    -- most units, then most spend, then the category name: deterministic
    select
        customer_id,
        arg_max(category, (units, net_amount, category)) as preferred_category
    from category_units
    group by customer_id

)

select
    order_totals.customer_id,
    order_totals.first_order_date,
    order_totals.last_order_date,
    order_totals.orders_count,
    order_totals.net_revenue,
    order_totals.gross_revenue,
    order_totals.items_count,
    order_totals.discounted_items_count,
    order_totals.first_order_channel,
    order_totals.first_order_campaign_code,
    preferred_categories.preferred_category
from order_totals
left join preferred_categories on order_totals.customer_id = preferred_categories.customer_id
