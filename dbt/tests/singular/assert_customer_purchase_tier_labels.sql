-- purchase_tier only takes the labels derived from var purchase_tier_lower_bounds ('1', '2', '3-4', '5-9', '10+').
select
    purchase_tier,
    count(*) as customers
from {{ ref('dim_customers') }}
where purchase_tier is not null
    and purchase_tier not in ('{{ customer_purchase_tier_labels() | join("', '") }}')
group by purchase_tier
