-- One row per customer who bought a new drop (mart_product_drops' drops) in its first
-- var('drop_early_adopter_days') days: how many drops they adopted early (dim_customers.is_early_adopter).
with drop_skus as (

    select * from {{ ref('int_product_drop_skus') }}

)

select
    orders.customer_id,
    cast(count(distinct row(drop_skus.style, drop_skus.launch_week)) as bigint) as early_adopted_drops
from {{ ref('stg_shop__order_items') }} as order_items
inner join drop_skus on order_items.sku = drop_skus.sku
inner join {{ ref('fct_orders') }} as orders on order_items.order_id = orders.order_id
where orders.is_paid
    and orders.ordered_date - drop_skus.drop_date between 0 and {{ var('drop_early_adopter_days') }} - 1
group by orders.customer_id
