-- Per calendar day from the first order to the as-of day: paid orders and revenue, new customers (first paid
-- order that day) and returning customers, the AOV of each, and the returning share of revenue.
with paid_orders as (

    select
        ordered_date,
        customer_id,
        is_first_order,
        net_amount
    from {{ ref('fct_orders') }}
    where is_paid
        and ordered_date <= {{ as_of_date() }}

),

all_orders as (

    select
        ordered_date,
        count(*) filter (where status = 'cancelled') as cancelled_orders,
        count(*) filter (where status = 'refunded') as refunded_orders
    from {{ ref('fct_orders') }}
    where ordered_date <= {{ as_of_date() }}
    group by ordered_date

),

calendar as (

    select cast(day as date) as kpi_date
    from range(
        (select min(ordered_date) from paid_orders),
        {{ as_of_date() }} + 1,
        interval 1 day
    ) as days (day)

),

daily as (

    select
        ordered_date,
        count(*) as orders_count,
        sum(net_amount) as revenue,
        count(distinct customer_id) filter (where is_first_order) as new_customers,
        count(distinct customer_id) filter (where not is_first_order) as returning_customers,
        count(*) filter (where is_first_order) as new_orders,
        count(*) filter (where not is_first_order) as returning_orders,
        coalesce(sum(net_amount) filter (where is_first_order), 0) as new_revenue,
        coalesce(sum(net_amount) filter (where not is_first_order), 0) as returning_revenue
    from paid_orders
    group by ordered_date

)

select
    calendar.kpi_date,
    cast(coalesce(daily.orders_count, 0) as bigint) as orders_count,
    cast(coalesce(all_orders.cancelled_orders, 0) as bigint) as cancelled_orders,
    cast(coalesce(all_orders.refunded_orders, 0) as bigint) as refunded_orders,
    cast(coalesce(daily.revenue, 0) as decimal(38, 2)) as revenue,
    cast(coalesce(daily.new_customers, 0) as bigint) as new_customers,
    cast(coalesce(daily.returning_customers, 0) as bigint) as returning_customers,
    cast(coalesce(daily.new_revenue, 0) as decimal(38, 2)) as new_revenue,
    cast(coalesce(daily.returning_revenue, 0) as decimal(38, 2)) as returning_revenue,
    cast(daily.revenue / nullif(daily.orders_count, 0) as decimal(14, 2)) as avg_order_value,
    cast(daily.new_revenue / nullif(daily.new_orders, 0) as decimal(14, 2)) as new_avg_order_value,
    cast(daily.returning_revenue / nullif(daily.returning_orders, 0) as decimal(14, 2)) as returning_avg_order_value,
    cast(daily.returning_revenue / nullif(daily.revenue, 0) as double) as returning_revenue_share_rate
from calendar
left join daily on calendar.kpi_date = daily.ordered_date
left join all_orders on calendar.kpi_date = all_orders.ordered_date
