-- One row per customer with a paid order: paid orders in the 365 days up to the as-of day (heavy users are
-- counted by year, not lifetime; the column name says the window, so it is no var), and the last paid order with what was in it (its SKUs in
-- line order and its distinct categories), for the CRM person who calls the customer.
with run_settings as (

    select {{ as_of_date() }} as as_of_date

),

paid_orders as (

    select
        order_id,
        customer_id,
        ordered_at,
        ordered_date
    from {{ ref('fct_orders') }}
    where is_paid

),

per_customer as (

    select
        paid_orders.customer_id,
        count(*) filter (
            where paid_orders.ordered_date > run_settings.as_of_date - 365
                and paid_orders.ordered_date <= run_settings.as_of_date
        ) as orders_in_window,
        -- the latest paid order (then the highest id: the same data always gives the same order)
        arg_max(paid_orders.order_id, (paid_orders.ordered_at, paid_orders.order_id)) as last_order_id
    from paid_orders
    cross join run_settings
    group by paid_orders.customer_id

),

last_order_lines as (

    select
        per_customer.customer_id,
        list(order_items.sku order by order_items.line_number) as last_order_items,
        list(distinct products.category order by products.category)
            filter (where products.category is not null) as last_order_categories
    from per_customer
    inner join {{ ref('stg_shop__order_items') }} as order_items on per_customer.last_order_id = order_items.order_id
    left join {{ ref('stg_shop__products') }} as products on order_items.sku = products.sku
    group by per_customer.customer_id

)

select
    per_customer.customer_id,
    cast(per_customer.orders_in_window as bigint) as orders_last_365d,
    per_customer.last_order_id,
    cast(coalesce(last_order_lines.last_order_items, []) as varchar[]) as last_order_items,
    cast(coalesce(last_order_lines.last_order_categories, []) as varchar[]) as last_order_categories
from per_customer
left join last_order_lines on per_customer.customer_id = last_order_lines.customer_id
