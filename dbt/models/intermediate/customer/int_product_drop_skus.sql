-- One row per SKU of a new drop: a drop is a style's SKUs launched in one ISO week (launch_week, the Monday), dated
-- by the earliest launch day among them (drop_date). The catalogue's opening day (the first launch_date) is the
-- opening range, not a drop. The one definition mart_product_drops and dim_customers.is_early_adopter share.
with products as (

    select * from {{ ref('stg_shop__products') }}
    where launch_date > (select min(launch_date) from {{ ref('stg_shop__products') }})
        and style is not null

)

select
    sku,
    style,
    category,
    cast(date_trunc('week', launch_date) as date) as launch_week,
    launch_date,
    min(launch_date) over (partition by style, date_trunc('week', launch_date)) as drop_date
from products
