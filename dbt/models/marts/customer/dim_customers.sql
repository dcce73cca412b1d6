-- One row per customer ever seen: paid-order totals, tier, lifecycle stage, profile and tags.
-- Masked contact data only (staging masks phone and email).
with customers as (

    select * from {{ ref('stg_shop__customers') }}

),

order_totals as (

    select * from {{ ref('int_customer_orders_aggregated') }}

),

regions as (

    select * from {{ ref('customer_province_regions') }}

),

recent_orders as (

    select * from {{ ref('int_customer_recent_orders') }}

),

early_adoptions as (

    select * from {{ ref('int_customer_early_adoptions') }}

),

current_rfm as (

    select
        customer_id,
        segment,
        rfm_cell
    from {{ ref('mart_customer_rfm') }}
    where is_current

),

all_customers as (

    -- registered customers plus buyers whose customer row has not arrived (yet)
    select customer_id from customers
    union
    select customer_id from order_totals

),

run_settings as (

    select
        {{ as_of_date() }} as as_of_date,
        {{ customer_repurchase_cycle_days() }} as cycle_days

),

customer_facts as (

    select
        all_customers.customer_id,
        customers.signup_date,
        customers.birth_year,
        customers.gender,
        customers.province,
        customers.city,
        regions.region,
        coalesce(order_totals.first_order_channel, customers.acquisition_channel) as acquisition_channel,
        order_totals.first_order_campaign_code as acquisition_campaign,
        coalesce(customers.has_phone, false) as has_phone,
        coalesce(customers.has_email, false) as has_email,
        customers.phone_masked,
        customers.email_masked,
        order_totals.first_order_date,
        order_totals.last_order_date,
        coalesce(order_totals.orders_count, 0) as orders_count,
        coalesce(order_totals.net_revenue, 0) as net_revenue,
        coalesce(order_totals.items_count, 0) as items_count,
        order_totals.discounted_items_count,
        order_totals.preferred_category,
        coalesce(recent_orders.orders_last_365d, 0) as orders_last_365d,
        recent_orders.last_order_id,
        recent_orders.last_order_items,
        recent_orders.last_order_categories,
        coalesce(early_adoptions.early_adopted_drops, 0) as early_adopted_drops,
        current_rfm.segment as rfm_segment,
        current_rfm.rfm_cell,
        run_settings.as_of_date,
        run_settings.cycle_days,
        run_settings.as_of_date - order_totals.last_order_date as days_since_last_order,
        year(run_settings.as_of_date) - customers.birth_year as age
    from all_customers
    cross join run_settings
    left join customers on all_customers.customer_id = customers.customer_id
    left join order_totals on all_customers.customer_id = order_totals.customer_id
    left join regions on customers.province = regions.province
    left join recent_orders on all_customers.customer_id = recent_orders.customer_id
    left join early_adoptions on all_customers.customer_id = early_adoptions.customer_id
    left join current_rfm on all_customers.customer_id = current_rfm.customer_id

),

classified as (

    select
        *,
        {{ customer_purchase_tier('orders_count') }} as purchase_tier,
        {{ customer_lifecycle_stage('orders_count', 'days_since_last_order', 'cycle_days') }} as lifecycle_stage,
        {{ customer_spend_level('net_revenue') }} as spend_level,
        {{ customer_age_band('age') }} as age_band,
        cast(discounted_items_count as double) / nullif(items_count, 0) as discounted_item_rate,
        coalesce(
            items_count >= {{ var('deal_hunter_min_items') }}
            and cast(discounted_items_count as double) / items_count >= {{ var('deal_hunter_min_discounted_rate') }},
            false
        ) as is_deal_hunter
    from customer_facts

)

select
    customer_id,
    signup_date,
    birth_year,
    age_band,
    gender,
    province,
    city,
    coalesce(region, 'unknown') as region,
    acquisition_channel,
    cast(strftime(first_order_date, '%Y-%m') as varchar) as acquisition_month,
    acquisition_campaign,
    acquisition_campaign is not null as is_campaign_cohort,
    has_phone,
    has_email,
    phone_masked,
    email_masked,
    first_order_date,
    last_order_date,
    last_order_id,
    last_order_items,
    last_order_categories,
    cast(orders_count as bigint) as orders_count,
    cast(orders_last_365d as bigint) as orders_last_365d,
    orders_last_365d >= {{ var('heavy_user_min_orders_365d') }} as is_heavy_user,
    cast(net_revenue as decimal(38, 2)) as net_revenue,
    cast(net_revenue / nullif(orders_count, 0) as decimal(14, 2)) as avg_order_value,
    {{ customer_aov_band('cast(net_revenue / nullif(orders_count, 0) as decimal(14, 2))') }} as aov_band,
    purchase_tier,
    lifecycle_stage,
    cast(days_since_last_order as integer) as days_since_last_order,
    cast(last_order_date + cast(cycle_days as integer) as date) as expected_next_order_date,
    preferred_category,
    spend_level,
    cast(items_count as bigint) as items_count,
    discounted_item_rate,
    is_deal_hunter,
    cast(early_adopted_drops as bigint) as early_adopted_drops,
    early_adopted_drops > 0 as is_early_adopter,
    rfm_segment,
    rfm_cell,
    cast(list_concat(
        case when rfm_segment is not null then ['segment:' || rfm_segment] else [] end,
        case when purchase_tier is not null then ['tier:' || purchase_tier] else [] end,
        case when lifecycle_stage is not null then ['stage:' || lifecycle_stage] else [] end,
        case when acquisition_campaign is not null then ['cohort:campaign_' || acquisition_campaign] else [] end,
        case when is_deal_hunter then ['deal_hunter'] else [] end,
        case when orders_last_365d >= {{ var('heavy_user_min_orders_365d') }} then ['heavy_user'] else [] end,
        case when early_adopted_drops > 0 then ['early_adopter'] else [] end,
        case when orders_count = 1 then ['one_time_buyer'] else [] end,
        case when spend_level is not null and orders_count > 0 then ['spend:' || spend_level] else [] end
    ) as varchar[]) as tags
from classified
