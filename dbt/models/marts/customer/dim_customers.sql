-- One row per customer ever seen, with paid-order totals. Masked contact data only.
with customers as (

    select * from {{ ref('stg_shop__customers') }}

),

paid_orders as (

    select * from {{ ref('fct_orders') }}
    where is_paid

),

order_totals as (

    select
        customer_id,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        count(*) as orders_count,
        sum(net_amount) as net_revenue
    from paid_orders
    group by customer_id

)

select
    customers.customer_id,
    customers.signup_date,
    customers.birth_year,
    customers.gender,
    customers.province,
    customers.city,
    customers.acquisition_channel,
    customers.phone_masked,
    customers.email_masked,
    order_totals.first_order_date,
    order_totals.last_order_date,
    coalesce(order_totals.orders_count, 0) as orders_count,
    coalesce(order_totals.net_revenue, 0) as net_revenue,
    cast(order_totals.net_revenue / order_totals.orders_count as decimal(14, 2)) as avg_order_value
from customers
left join order_totals on customers.customer_id = order_totals.customer_id
