-- Factory x month and factory x ISO week (period_grain): delivery rates, quality, lead time, weighted score, tier,
-- rank among the factories that delivered in the period, and the change of rank since the previous period.
with deliveries as (

    select
        factory_id,
        cast(date_trunc('month', delivered_date) as date) as month_start,
        cast(date_trunc('week', delivered_date) as date) as week_start,
        delivered_units,
        is_on_time,
        is_in_full,
        is_otif,
        inspected_units,
        passed_units,
        lead_time_days
    from {{ ref('fct_deliveries') }}

),

factories as (

    select * from {{ ref('stg_shop__factories') }}

),

period_totals as (

    select
        factory_id,
        case when grouping(month_start) = 0 then 'month' else 'week' end as period_grain,
        coalesce(month_start, week_start) as period_start,
        count(*) as deliveries_count,
        cast(sum(delivered_units) as bigint) as delivered_units,
        avg(cast(is_on_time as double)) as on_time_rate,
        avg(cast(is_in_full as double)) as in_full_rate,
        avg(cast(is_otif as double)) as otif_rate,
        cast(sum(inspected_units) as bigint) as inspected_units,
        cast(sum(passed_units) as bigint) as passed_units,
        avg(lead_time_days) as lead_time_mean_days,
        -- rounded: a parallel stddev is not bit-identical between runs, and the marts must be
        round(stddev_samp(lead_time_days), 6) as lead_time_stddev_days
    from deliveries
    group by grouping sets ((factory_id, month_start), (factory_id, week_start))

),

scored as (

    select
        *,
        passed_units / nullif(inspected_units, 0) as pass_rate,
        1000000.0 * (inspected_units - passed_units) / nullif(inspected_units, 0) as defect_ppm,
        {{ supply_score('on_time_rate', 'in_full_rate', 'passed_units / nullif(inspected_units, 0)') }} as score
    from period_totals

),

ranked as (

    select
        *,
        row_number() over (
            partition by period_grain, period_start
            order by {{ supply_rank_order() }}
        ) as rank
    from scored

),

with_previous as (

    select
        *,
        cast(
            case period_grain
                when 'month' then period_start + interval 1 month - interval 1 day
                else period_start + interval 6 day
            end as date
        ) as period_end,
        cast(
            case period_grain
                when 'month' then period_start - interval 1 month
                else period_start - interval 7 day
            end as date
        ) as previous_period_start,
        lag(period_start) over (partition by factory_id, period_grain order by period_start) as last_listed_period_start,
        lag(rank) over (partition by factory_id, period_grain order by period_start) as last_listed_rank
    from ranked

),

compared as (

    select
        *,
        -- a rank change only against the period right before (no deliveries then: no previous rank)
        case when last_listed_period_start = previous_period_start then last_listed_rank end as previous_rank
    from with_previous

)

select
    compared.factory_id,
    factories.factory_name,
    compared.period_grain,
    compared.period_start,
    compared.period_end,
    compared.period_end <= {{ as_of_date() }} as is_period_complete,
    compared.deliveries_count,
    compared.delivered_units,
    compared.on_time_rate,
    compared.in_full_rate,
    compared.otif_rate,
    compared.inspected_units,
    compared.passed_units,
    compared.pass_rate,
    compared.defect_ppm,
    compared.lead_time_mean_days,
    compared.lead_time_stddev_days,
    compared.score,
    {{ supply_tier('compared.score') }} as tier,
    compared.rank,
    compared.previous_rank,
    compared.previous_rank - compared.rank as rank_change
from compared
left join factories
    on compared.factory_id = factories.factory_id
