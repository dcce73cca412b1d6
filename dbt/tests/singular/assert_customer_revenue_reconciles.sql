-- Net revenue of paid orders in fct_orders equals the sum of dim_customers.net_revenue.
-- reads several models: attach it (as a blocking Dagster check) to the one it guards
{{ config(meta={'dagster': {'ref': {'name': 'dim_customers'}}}) }}

with order_revenue as (

    select coalesce(sum(net_amount), 0) as net_revenue
    from {{ ref('fct_orders') }}
    where is_paid

),

customer_revenue as (

    select coalesce(sum(net_revenue), 0) as net_revenue
    from {{ ref('dim_customers') }}

)

select
    order_revenue.net_revenue as fct_orders_net_revenue,
    customer_revenue.net_revenue as dim_customers_net_revenue
from order_revenue
cross join customer_revenue
where order_revenue.net_revenue <> customer_revenue.net_revenue
