-- Every customer with a paid order (up to the as-of day) has exactly one current RFM row, and nobody else has one.
-- reads several models: attach it (as a blocking Dagster check) to the one it guards
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_rfm'}}}) }}

with paying_customers as (

    select distinct customer_id
    from {{ ref('fct_orders') }}
    where is_paid
        and ordered_date <= {{ as_of_date() }}

),

current_rows as (

    select
        customer_id,
        count(*) as current_rows
    from {{ ref('mart_customer_rfm') }}
    where is_current
    group by customer_id

)

select
    coalesce(paying_customers.customer_id, current_rows.customer_id) as customer_id,
    paying_customers.customer_id is not null as has_paid_order,
    coalesce(current_rows.current_rows, 0) as current_rows
from paying_customers
full outer join current_rows on paying_customers.customer_id = current_rows.customer_id
where paying_customers.customer_id is null
    or coalesce(current_rows.current_rows, 0) <> 1
