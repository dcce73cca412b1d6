-- Factory x month and factory x ISO week (period_grain): delivery rates, quality, lead time, weighted score, tier,
-- rank among the factories that delivered in the period, and the change of rank since the previous period.
-- Incremental: the pre-hooks pick the periods to re-compute (scorecard_save_recomputed_periods(): periods with a
-- fct_deliveries row newer than the scorecard, a changed delivery count, a stale is_period_complete or factory
-- name, and the period after each) and delete them; the model appends them again from all their deliveries. A
-- daily run thus writes the running week and month (and the periods of re-processed purchase orders), not the
-- whole history. Changing a scoring var needs a full build (`--full-refresh`).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}{{ scorecard_save_recomputed_periods() }}{% endif %}",
            "{% if is_incremental() %}{{ scorecard_forget_recomputed_periods() }}{% endif %}"
        ]
    )
}}

with

{% if is_incremental() %}
recomputed_periods as (

    -- saved by the pre-hook (scorecard_save_recomputed_periods())
    select
        period_grain,
        period_start
    from mart_factory_scorecard__recomputed

),
{% endif %}

deliveries as (

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
    {% if is_incremental() %}
    where
        cast(date_trunc('month', delivered_date) as date) in (
            select period_start
            from recomputed_periods
            where period_grain = 'month'
        )
        or cast(date_trunc('week', delivered_date) as date) in (
            select period_start
            from recomputed_periods
            where period_grain = 'week'
        )
    {% endif %}

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
    {% if is_incremental() %}
    -- a delivery read for its month also fills a week that is not re-computed (and the reverse): drop those
    semi join recomputed_periods
        on
            period_totals.period_grain = recomputed_periods.period_grain
            and period_totals.period_start = recomputed_periods.period_start
    {% endif %}

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
        ) as previous_period_start
    from ranked

),

listed_ranks as (

    select
        factory_id,
        period_grain,
        period_start,
        rank
    from ranked
    {% if is_incremental() %}
    union all
    -- the kept periods right before a re-computed one (the pre-hook deleted the re-computed ones)
    select
        factory_id,
        period_grain,
        period_start,
        rank
    from {{ this }}
    where (period_grain, period_start) in (
        select
            period_grain,
            previous_period_start
        from with_previous
    )
    {% endif %}

),

compared as (

    -- a rank change only against the period right before (no deliveries then: no previous rank)
    select
        with_previous.*,
        listed_ranks.rank as previous_rank
    from with_previous
    left join listed_ranks
        on with_previous.factory_id = listed_ranks.factory_id
        and with_previous.period_grain = listed_ranks.period_grain
        and with_previous.previous_period_start = listed_ranks.period_start

)

select
    compared.factory_id,
    factories.factory_name,
    compared.period_grain,
    compared.period_start,
    compared.period_end,
    {{ scorecard_period_complete('compared.period_end') }} as is_period_complete,
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
    compared.previous_rank - compared.rank as rank_change,
    {{ run_started_at_utc() }} as processed_at
from compared
left join factories
    on compared.factory_id = factories.factory_id
