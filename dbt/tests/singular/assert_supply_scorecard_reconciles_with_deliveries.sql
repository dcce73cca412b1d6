-- Each grain of the scorecard accounts for every delivery and every inspected unit of fct_deliveries exactly once.
-- reads several models: attach it (as a blocking Dagster check) to the one it guards
{{ config(meta={'dagster': {'ref': {'name': 'mart_factory_scorecard'}}}) }}

with delivery_totals as (

    select
        count(*) as deliveries_count,
        sum(inspected_units) as inspected_units
    from {{ ref('fct_deliveries') }}

),

grain_totals as (

    select
        period_grain,
        sum(deliveries_count) as deliveries_count,
        sum(inspected_units) as inspected_units
    from {{ ref('mart_factory_scorecard') }}
    group by period_grain

)

select grain_totals.*
from grain_totals
cross join delivery_totals
where grain_totals.deliveries_count <> delivery_totals.deliveries_count
    or grain_totals.inspected_units <> delivery_totals.inspected_units
