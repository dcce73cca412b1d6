-- Acquisition month (first paid order) x months since the first order, split by deep-discount cohort
-- (first paid order on a campaign day) vs the rest: active customers, retention, revenue, cumulative revenue
-- per customer, and the cohort's second-order rate within 30/60/90/365 days - null until the whole cohort is
-- old enough for that window (only mature cohorts count).
{%- set windows = [30, 60, 90, 365] %}
with paid_orders as (

    select
        customer_id,
        ordered_date,
        net_amount,
        customer_order_number,
        campaign_code
    from {{ ref('fct_orders') }}
    where is_paid
        and ordered_date <= {{ as_of_date() }}

),

customer_cohorts as (

    select
        customer_id,
        ordered_date as first_order_date,
        cast(date_trunc('month', ordered_date) as date) as cohort_month,
        case when campaign_code is not null then 'deep_discount' else 'regular' end as cohort_type
    from paid_orders
    where customer_order_number = 1

),

second_orders as (

    select
        customer_id,
        ordered_date as second_order_date
    from paid_orders
    where customer_order_number = 2

),

cohort_sizes as (

    select
        customer_cohorts.cohort_month,
        customer_cohorts.cohort_type,
        count(*) as cohort_customers,
        {%- for days in windows %}
        case
            when last_day(customer_cohorts.cohort_month) + {{ days }} <= {{ as_of_date() }}
                then count(*) filter (
                    where second_orders.second_order_date - customer_cohorts.first_order_date <= {{ days }}
                ) / count(*)
        end as second_order_{{ days }}d_rate{{ ',' if not loop.last }}
        {%- endfor %}
    from customer_cohorts
    left join second_orders on customer_cohorts.customer_id = second_orders.customer_id
    group by customer_cohorts.cohort_month, customer_cohorts.cohort_type

),

cohort_months as (

    select
        cohort_sizes.*,
        cast(months_since_first_order as integer) as months_since_first_order
    from cohort_sizes,
        range(0, date_diff('month', cohort_sizes.cohort_month, {{ as_of_date() }}) + 1) as offsets (months_since_first_order)

),

monthly_activity as (

    select
        customer_cohorts.cohort_month,
        customer_cohorts.cohort_type,
        date_diff('month', customer_cohorts.cohort_month, paid_orders.ordered_date) as months_since_first_order,
        count(distinct paid_orders.customer_id) as active_customers,
        count(*) as orders_count,
        sum(paid_orders.net_amount) as revenue
    from paid_orders
    inner join customer_cohorts on paid_orders.customer_id = customer_cohorts.customer_id
    group by all

)

select
    cohort_months.cohort_month,
    cast(cohort_months.cohort_type as varchar) as cohort_type,
    cohort_months.months_since_first_order,
    cast(cohort_months.cohort_customers as bigint) as cohort_customers,
    cast(coalesce(monthly_activity.active_customers, 0) as bigint) as active_customers,
    cast(coalesce(monthly_activity.active_customers, 0) as double) / cohort_months.cohort_customers as retention_rate,
    cast(coalesce(monthly_activity.orders_count, 0) as bigint) as orders_count,
    cast(coalesce(monthly_activity.revenue, 0) as decimal(38, 2)) as revenue,
    cast(
        sum(coalesce(monthly_activity.revenue, 0)) over (
            partition by cohort_months.cohort_month, cohort_months.cohort_type
            order by cohort_months.months_since_first_order
        ) / cohort_months.cohort_customers
        as decimal(14, 2)
    ) as cumulative_revenue_per_customer,
    {%- for days in windows %}
    cast(cohort_months.second_order_{{ days }}d_rate as double) as second_order_{{ days }}d_rate{{ ',' if not loop.last }}
    {%- endfor %}
from cohort_months
left join monthly_activity
    on cohort_months.cohort_month = monthly_activity.cohort_month
    and cohort_months.cohort_type = monthly_activity.cohort_type
    and cohort_months.months_since_first_order = monthly_activity.months_since_first_order
