-- Which products carry the discounting: paid order lines by SKU, by style and by category (dimension x value),
-- with the discount depth (discount / list value), the share of units sold below list, and each value's share of
-- all the discount money given. Only traffic-driver items should stand out here.
with paid_orders as (

    select order_id from {{ ref('fct_orders') }}
    where is_paid

),

lines as (

    select
        order_items.sku,
        products.style,
        products.category,
        order_items.quantity,
        {{ line_list_amount('order_items') }} as list_amount,
        order_items.quantity * order_items.paid_unit_price as paid_amount,
        {{ is_discounted_line('order_items') }} as is_discounted
    from {{ ref('stg_shop__order_items') }} as order_items
    semi join paid_orders on order_items.order_id = paid_orders.order_id
    left join {{ ref('stg_shop__products') }} as products on order_items.sku = products.sku

),

by_value as (

    select
        dimension,
        coalesce(dimension_value, '(unknown)') as dimension_value,
        count(*) as lines_count,
        sum(quantity) as units,
        sum(quantity) filter (where is_discounted) as discounted_units,
        sum(list_amount) as list_amount,
        sum(list_amount - paid_amount) as discount_amount
    from lines
    cross join lateral (
        values ('sku', lines.sku), ('style', lines.style), ('category', lines.category)
    ) as dimensions (dimension, dimension_value)
    group by all

)

select
    cast(dimension as varchar) as dimension,
    cast(dimension_value as varchar) as dimension_value,
    cast(lines_count as bigint) as lines_count,
    cast(units as bigint) as units,
    cast(coalesce(discounted_units, 0) as bigint) as discounted_units,
    cast(coalesce(discounted_units, 0) / nullif(units, 0) as double) as discounted_units_rate,
    cast(list_amount as decimal(38, 2)) as list_amount,
    cast(discount_amount as decimal(38, 2)) as discount_amount,
    cast(discount_amount / nullif(list_amount, 0) as double) as discount_depth_rate,
    cast(discount_amount / nullif(sum(discount_amount) over (partition by dimension), 0) as double)
        as discount_money_share_rate,
    cast(rank() over (partition by dimension order by discount_amount desc) as bigint) as discount_money_rank
from by_value
