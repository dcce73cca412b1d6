-- One row per new drop: a style's SKUs launched in one ISO week (the catalogue's opening day is no drop). How fast
-- it sold - paid units in its first 1, 7 and 30 days from the week's first launch day (day 1 = the launch day) -
-- and who bought it first: the early adopters (paid buyers in its first var('drop_early_adopter_days') days) and
-- the share of them who were repeat customers (a paid order before their first order of the drop).
with drop_skus as (

    select * from {{ ref('int_product_drop_skus') }}

),

run_settings as (

    select {{ as_of_date() }} as as_of_date

),

drop_lines as (

    select
        drop_skus.style,
        drop_skus.launch_week,
        orders.customer_id,
        orders.order_id,
        orders.ordered_at,
        orders.customer_order_number,
        order_items.quantity,
        cast(orders.ordered_date - drop_skus.drop_date as integer) as days_after_drop
    from {{ ref('stg_shop__order_items') }} as order_items
    inner join drop_skus on order_items.sku = drop_skus.sku
    inner join {{ ref('fct_orders') }} as orders on order_items.order_id = orders.order_id
    where orders.is_paid and orders.ordered_date >= drop_skus.drop_date

),

first_buys as (

    -- each buyer's first paid order of the drop
    select
        style,
        launch_week,
        customer_id,
        min(days_after_drop) as days_after_drop,
        arg_min(customer_order_number, (ordered_at, order_id)) as customer_order_number
    from drop_lines
    group by all

),

sales as (

    select
        style,
        launch_week,
        sum(quantity) filter (where days_after_drop < 1) as units_day_1,
        sum(quantity) filter (where days_after_drop < 7) as units_day_7,
        sum(quantity) filter (where days_after_drop < 30) as units_day_30,
        sum(quantity) as units_to_date
    from drop_lines
    group by all

),

adopters as (

    select
        style,
        launch_week,
        count(*) filter (where days_after_drop < 30) as buyers_day_30,
        count(*) filter (where days_after_drop < {{ var('drop_early_adopter_days') }}) as early_adopters,
        count(*) filter (
            where days_after_drop < {{ var('drop_early_adopter_days') }} and customer_order_number > 1
        ) as repeat_early_adopters
    from first_buys
    group by all

),

drops as (

    select
        style,
        launch_week,
        any_value(category order by category) as category,
        min(drop_date) as drop_date,
        count(*) as skus_count
    from drop_skus
    group by all

)

select
    drops.style,
    drops.launch_week,
    cast(drops.category as varchar) as category,
    drops.drop_date,
    cast(drops.skus_count as bigint) as skus_count,
    drops.drop_date + 29 <= run_settings.as_of_date as is_day_30_complete,
    cast(coalesce(sales.units_day_1, 0) as bigint) as units_day_1,
    cast(coalesce(sales.units_day_7, 0) as bigint) as units_day_7,
    cast(coalesce(sales.units_day_30, 0) as bigint) as units_day_30,
    cast(coalesce(sales.units_to_date, 0) as bigint) as units_to_date,
    cast(coalesce(sales.units_day_7, 0) / nullif(sales.units_day_30, 0) as double) as day_7_share_of_day_30_rate,
    cast(coalesce(adopters.buyers_day_30, 0) as bigint) as buyers_day_30,
    cast(coalesce(adopters.early_adopters, 0) as bigint) as early_adopters,
    cast(coalesce(adopters.repeat_early_adopters, 0) as bigint) as repeat_early_adopters,
    cast(coalesce(adopters.repeat_early_adopters, 0) / nullif(adopters.early_adopters, 0) as double)
        as repeat_early_adopter_rate
from drops
cross join run_settings
left join sales on drops.style = sales.style and drops.launch_week = sales.launch_week
left join adopters on drops.style = adopters.style and drops.launch_week = adopters.launch_week
