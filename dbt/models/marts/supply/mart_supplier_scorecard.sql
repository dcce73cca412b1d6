-- Material supplier x month (of receipt): purchases, spend, on-time rate and incoming defect rate.
with purchases as (

    select
        *,
        cast(date_trunc('month', received_date) as date) as month_start,
        received_date - promised_date as days_late
    from {{ ref('stg_shop__material_purchases') }}
    where received_date <= {{ as_of_date() }}

),

suppliers as (

    select * from {{ ref('stg_shop__suppliers') }}

),

monthly as (

    select
        supplier_id,
        month_start,
        count(*) as purchases_count,
        count(distinct factory_id) as factories_count,
        cast(sum(quantity) as bigint) as purchased_units,
        cast(sum(amount) as decimal(18, 2)) as spend_amount,
        avg(cast({{ supply_is_on_time('days_late') }} as double)) as on_time_rate,
        cast(sum(defective_qty) as bigint) as defective_units,
        avg(received_date - purchased_date) as lead_time_mean_days
    from purchases
    group by supplier_id, month_start

)

select
    monthly.supplier_id,
    suppliers.supplier_name,
    suppliers.material,
    suppliers.is_designated,
    monthly.month_start,
    monthly.purchases_count,
    monthly.factories_count,
    monthly.purchased_units,
    monthly.spend_amount,
    monthly.on_time_rate,
    monthly.defective_units,
    monthly.defective_units / nullif(monthly.purchased_units, 0) as defect_rate,
    monthly.lead_time_mean_days
from monthly
left join suppliers
    on monthly.supplier_id = suppliers.supplier_id
