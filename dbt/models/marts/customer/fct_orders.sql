-- One row per order, with the buyer's order sequence among paid orders.
with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

items as (

    select
        order_id,
        count(*) as items_count,
        sum(quantity) as units_count
    from {{ ref('stg_shop__order_items') }}
    group by order_id

),

paid_sequence as (

    select
        order_id,
        row_number() over (partition by customer_id order by ordered_at, order_id) as customer_order_number,
        lag(ordered_date) over (partition by customer_id order by ordered_at, order_id) as previous_order_date
    from orders
    where status = 'paid'

)

select
    orders.order_id,
    orders.customer_id,
    orders.ordered_at,
    orders.ordered_date,
    orders.channel,
    orders.campaign_code,
    orders.status,
    orders.status = 'paid' as is_paid,
    paid_sequence.customer_order_number,
    coalesce(paid_sequence.customer_order_number = 1, false) as is_first_order,
    orders.ordered_date - paid_sequence.previous_order_date as days_since_previous_order,
    coalesce(items.items_count, 0) as items_count,
    coalesce(items.units_count, 0) as units_count,
    orders.gross_amount,
    orders.discount_amount,
    orders.net_amount
from orders
left join items on orders.order_id = items.order_id
left join paid_sequence on orders.order_id = paid_sequence.order_id
