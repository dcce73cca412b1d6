-- Factory x month (of receipt): share of material spend with designated suppliers, over the month and over the
-- last supply_compliance_trend_months months, and its trend against the same span before.
{%- set trend_months = var('supply_compliance_trend_months') %}
with purchases as (

    select
        factory_id,
        cast(date_trunc('month', received_date) as date) as month_start,
        amount,
        is_designated_supplier
    from {{ ref('stg_shop__material_purchases') }}
    where received_date <= {{ as_of_date() }}

),

monthly as (

    select
        factory_id,
        month_start,
        year(month_start) * 12 + month(month_start) as month_number,
        count(*) as purchases_count,
        cast(sum(amount) as decimal(18, 2)) as material_spend_amount,
        cast(coalesce(sum(amount) filter (where is_designated_supplier), 0) as decimal(18, 2))
            as designated_spend_amount
    from purchases
    group by factory_id, month_start

),

rolling as (

    select
        *,
        sum(designated_spend_amount) over recent_months as rolling_designated_spend_amount,
        sum(material_spend_amount) over recent_months as rolling_material_spend_amount,
        sum(designated_spend_amount) over previous_months as previous_designated_spend_amount,
        sum(material_spend_amount) over previous_months as previous_material_spend_amount
    from monthly
    window
        recent_months as (
            partition by factory_id order by month_number
            range between {{ trend_months - 1 }} preceding and current row
        ),
        previous_months as (
            partition by factory_id order by month_number
            range between {{ 2 * trend_months - 1 }} preceding and {{ trend_months }} preceding
        )

),

shares as (

    select
        *,
        cast(designated_spend_amount / nullif(material_spend_amount, 0) as double) as designated_spend_share,
        cast(rolling_designated_spend_amount / nullif(rolling_material_spend_amount, 0) as double)
            as rolling_designated_spend_share,
        cast(previous_designated_spend_amount / nullif(previous_material_spend_amount, 0) as double)
            as previous_designated_spend_share
    from rolling

),

factories as (

    select * from {{ ref('stg_shop__factories') }}

)

select
    shares.factory_id,
    factories.factory_name,
    shares.month_start,
    shares.purchases_count,
    shares.material_spend_amount,
    shares.designated_spend_amount,
    shares.designated_spend_share,
    shares.rolling_designated_spend_share,
    shares.previous_designated_spend_share,
    shares.rolling_designated_spend_share - shares.previous_designated_spend_share as designated_share_change,
    case
        when shares.previous_designated_spend_share is null then null
        when shares.rolling_designated_spend_share - shares.previous_designated_spend_share
            >= {{ var('supply_compliance_trend_min_change') }} then 'improving'
        when shares.previous_designated_spend_share - shares.rolling_designated_spend_share
            >= {{ var('supply_compliance_trend_min_change') }} then 'worsening'
        else 'stable'
    end as compliance_trend
from shares
left join factories
    on shares.factory_id = factories.factory_id
