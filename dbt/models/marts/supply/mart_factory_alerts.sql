-- One row per alert episode. Decline alerts: every ISO week each factory's indicator over the last
-- supply_alert_recent_weeks weeks is compared with its own baseline, the supply_alert_baseline_weeks weeks before;
-- consecutive breach weeks (gaps shorter than supply_alert_recovery_weeks) form ONE episode (gaps and islands), which
-- stays open until supply_alert_recovery_weeks weeks in a row pass without a breach. Tier-floor alerts: a monthly
-- score below supply_tier_acceptable_min_score for supply_alert_tier_floor_months months in a row.
{%- set recent_weeks = var('supply_alert_recent_weeks') %}
{%- set baseline_weeks = var('supply_alert_baseline_weeks') %}
{%- set recovery_weeks = var('supply_alert_recovery_weeks') %}
{%- set floor_months = var('supply_alert_tier_floor_months') %}
{%- set floor_score = var('supply_tier_acceptable_min_score') %}
with run_context as (

    select
        {{ as_of_date() }} as as_of_date,
        cast(date_trunc('week', {{ as_of_date() }}) as date) as as_of_week_start,
        cast(date_trunc('month', {{ as_of_date() }}) as date) as as_of_month_start

),

weekly_totals as (

    select
        fct_deliveries.factory_id,
        cast(date_trunc('week', fct_deliveries.delivered_date) as date) as week_start,
        count(*) as deliveries_count,
        count(*) filter (where fct_deliveries.is_on_time) as on_time_count,
        count(*) filter (where fct_deliveries.is_in_full) as in_full_count,
        sum(fct_deliveries.inspected_units) as inspected_units,
        sum(fct_deliveries.passed_units) as passed_units
    from {{ ref('fct_deliveries') }} as fct_deliveries
    cross join run_context
    where fct_deliveries.delivered_date <= run_context.as_of_date
    group by all

),

factory_weeks as (

    -- every week from the factory's first delivery to the as-of week, so "N weeks" means N calendar weeks
    select
        first_weeks.factory_id,
        cast(spine.week_start as date) as week_start
    from (
        select
            factory_id,
            min(week_start) as first_week_start
        from weekly_totals
        group by factory_id
    ) as first_weeks
    cross join run_context
    cross join lateral (
        select unnest(generate_series(
            cast(first_weeks.first_week_start as timestamp),
            cast(run_context.as_of_week_start as timestamp),
            interval 7 day
        )) as week_start
    ) as spine

),

dense_weeks as (

    select
        factory_weeks.factory_id,
        factory_weeks.week_start,
        least(factory_weeks.week_start + 6, run_context.as_of_date) as evaluated_date,
        row_number() over (partition by factory_weeks.factory_id order by factory_weeks.week_start) as week_number,
        coalesce(weekly_totals.deliveries_count, 0) as deliveries_count,
        coalesce(weekly_totals.on_time_count, 0) as on_time_count,
        coalesce(weekly_totals.in_full_count, 0) as in_full_count,
        coalesce(weekly_totals.inspected_units, 0) as inspected_units,
        coalesce(weekly_totals.passed_units, 0) as passed_units
    from factory_weeks
    cross join run_context
    left join weekly_totals
        on factory_weeks.factory_id = weekly_totals.factory_id
        and factory_weeks.week_start = weekly_totals.week_start

),

rolling_windows as (

    select
        factory_id,
        week_start,
        evaluated_date,
        week_number,
        {%- for measure in ['deliveries_count', 'on_time_count', 'in_full_count', 'inspected_units', 'passed_units'] %}
        sum({{ measure }}) over recent_frame as recent_{{ measure }},
        sum({{ measure }}) over baseline_frame as baseline_{{ measure }},
        {%- endfor %}
        count(*) over baseline_frame as baseline_weeks_count
    from dense_weeks
    window
        recent_frame as (
            partition by factory_id order by week_number
            rows between {{ recent_weeks - 1 }} preceding and current row
        ),
        baseline_frame as (
            partition by factory_id order by week_number
            rows between {{ recent_weeks + baseline_weeks - 1 }} preceding and {{ recent_weeks }} preceding
        )

),

indicator_weeks as (

    select
        rolling_windows.factory_id,
        rolling_windows.week_start,
        rolling_windows.evaluated_date,
        rolling_windows.week_number,
        indicators.indicator,
        indicators.min_drop,
        indicators.recent_value,
        indicators.baseline_value,
        indicators.baseline_value - indicators.recent_value as value_drop,
        -- standard error of the difference of two proportions (trials: deliveries, or inspected units)
        sqrt(
            indicators.baseline_value * (1 - indicators.baseline_value)
            * (1.0 / nullif(indicators.recent_trials, 0) + 1.0 / nullif(indicators.baseline_trials, 0))
        ) as drop_standard_error,
        rolling_windows.recent_deliveries_count,
        rolling_windows.baseline_weeks_count = {{ baseline_weeks }}
            and rolling_windows.recent_deliveries_count >= {{ var('supply_alert_min_deliveries') }}
            and rolling_windows.baseline_deliveries_count >= {{ var('supply_alert_min_deliveries') }}
            as is_evaluable
    from rolling_windows
    cross join lateral (
        values
            (
                'on_time_rate',
                {{ var('supply_alert_min_drop_on_time_rate') }},
                recent_on_time_count / nullif(recent_deliveries_count, 0),
                baseline_on_time_count / nullif(baseline_deliveries_count, 0),
                recent_deliveries_count,
                baseline_deliveries_count
            ),
            (
                'in_full_rate',
                {{ var('supply_alert_min_drop_in_full_rate') }},
                recent_in_full_count / nullif(recent_deliveries_count, 0),
                baseline_in_full_count / nullif(baseline_deliveries_count, 0),
                recent_deliveries_count,
                baseline_deliveries_count
            ),
            (
                'pass_rate',
                {{ var('supply_alert_min_drop_pass_rate') }},
                recent_passed_units / nullif(recent_inspected_units, 0),
                baseline_passed_units / nullif(baseline_inspected_units, 0),
                recent_inspected_units,
                baseline_inspected_units
            )
    ) as indicators (indicator, min_drop, recent_value, baseline_value, recent_trials, baseline_trials)

),

breach_weeks as (

    select
        *,
        -- a new episode starts when the previous breach week is at least a full recovery period back
        case
            when week_number - lag(week_number) over breach_order <= {{ recovery_weeks }} then 0
            else 1
        end as is_episode_start
    from indicator_weeks
    where is_evaluable
        and value_drop > min_drop
        and value_drop > {{ var('supply_alert_min_z_score') }} * drop_standard_error
    window breach_order as (partition by factory_id, indicator order by week_number)

),

breach_episodes as (

    select
        *,
        sum(is_episode_start) over (
            partition by factory_id, indicator
            order by week_number
            rows between unbounded preceding and current row
        ) as episode_number
    from breach_weeks

),

latest_weeks as (

    select
        factory_id,
        max(week_number) as latest_week_number
    from dense_weeks
    group by factory_id

),

decline_alerts as (

    select
        breach_episodes.factory_id,
        'decline' as alert_type,
        breach_episodes.indicator,
        min(breach_episodes.evaluated_date) as opened_date,
        arg_min(breach_episodes.recent_value, breach_episodes.week_number) as recent_value,
        arg_min(breach_episodes.baseline_value, breach_episodes.week_number) as baseline_value,
        arg_min(breach_episodes.value_drop, breach_episodes.week_number) as value_drop,
        any_value(breach_episodes.min_drop) as min_drop,
        max(breach_episodes.value_drop) as max_drop,
        arg_min(breach_episodes.recent_deliveries_count, breach_episodes.week_number) as deliveries_count,
        count(*) as breach_periods_count,
        max(breach_episodes.evaluated_date) as last_breach_date,
        max(breach_episodes.week_number) as last_breach_week_number,
        arg_max(breach_episodes.week_start, breach_episodes.week_number) as last_breach_week_start,
        any_value(latest_weeks.latest_week_number) as latest_week_number
    from breach_episodes
    join latest_weeks
        on breach_episodes.factory_id = latest_weeks.factory_id
    group by
        breach_episodes.factory_id,
        breach_episodes.indicator,
        breach_episodes.episode_number

),

monthly_scores as (

    select
        factory_id,
        period_start as month_start,
        period_end as month_end,
        score,
        deliveries_count,
        year(period_start) * 12 + month(period_start) as month_number
    from {{ ref('mart_factory_scorecard') }}
    where period_grain = 'month'

),

below_floor_months as (

    select
        *,
        month_number - row_number() over (partition by factory_id order by month_number) as island_number
    from monthly_scores
    where score < {{ floor_score }}

),

tier_floor_alerts as (

    select
        below_floor_months.factory_id,
        'tier_floor' as alert_type,
        'score' as indicator,
        -- opened when the Nth month in a row below the floor ends (or on the as-of day, if that month is running)
        least(
            min(below_floor_months.month_end) + interval {{ floor_months - 1 }} month,
            any_value(run_context.as_of_date)
        ) as opened_date,
        arg_min(below_floor_months.score, below_floor_months.month_number) as first_score,
        min(below_floor_months.score) as min_score,
        sum(below_floor_months.deliveries_count) as deliveries_count,
        count(*) as breach_periods_count,
        least(max(below_floor_months.month_end), any_value(run_context.as_of_date)) as last_breach_date,
        max(below_floor_months.month_start) as last_breach_month_start,
        any_value(run_context.as_of_month_start) as as_of_month_start,
        any_value(run_context.as_of_date) as as_of_date
    from below_floor_months
    cross join run_context
    group by
        below_floor_months.factory_id,
        below_floor_months.island_number
    having count(*) >= {{ floor_months }}

),

all_alerts as (

    select
        factory_id,
        alert_type,
        indicator,
        opened_date,
        recent_value,
        baseline_value,
        value_drop,
        min_drop,
        max_drop,
        case
            when max_drop >= {{ var('supply_alert_high_severity_ratio') }} * min_drop then 'high'
            else 'medium'
        end as severity,
        deliveries_count,
        breach_periods_count,
        last_breach_date,
        case
            when latest_week_number - last_breach_week_number < {{ recovery_weeks }} then 'open'
            else 'closed'
        end as status,
        case
            when latest_week_number - last_breach_week_number >= {{ recovery_weeks }}
                then least(
                    last_breach_week_start + {{ 7 * recovery_weeks + 6 }},
                    (select as_of_date from run_context)
                )
        end as closed_date
    from decline_alerts

    union all

    select
        factory_id,
        alert_type,
        indicator,
        cast(opened_date as date) as opened_date,
        first_score as recent_value,
        {{ floor_score }} as baseline_value,
        {{ floor_score }} - first_score as value_drop,
        0 as min_drop,
        {{ floor_score }} - min_score as max_drop,
        'high' as severity,
        deliveries_count,
        breach_periods_count,
        last_breach_date,
        case when last_breach_month_start = as_of_month_start then 'open' else 'closed' end as status,
        case
            when last_breach_month_start < as_of_month_start
                then least(cast(last_breach_month_start + interval 2 month - interval 1 day as date), as_of_date)
        end as closed_date
    from tier_floor_alerts

),

factories as (

    select * from {{ ref('stg_shop__factories') }}

)

select
    md5(all_alerts.factory_id || '|' || all_alerts.alert_type || '|' || all_alerts.indicator || '|'
        || cast(all_alerts.opened_date as varchar)) as alert_id,
    all_alerts.factory_id,
    factories.factory_name,
    all_alerts.alert_type,
    all_alerts.indicator,
    all_alerts.opened_date,
    cast(all_alerts.recent_value as double) as recent_value,
    cast(all_alerts.baseline_value as double) as baseline_value,
    cast(all_alerts.value_drop as double) as value_drop,
    cast(all_alerts.min_drop as double) as min_drop,
    cast(all_alerts.max_drop as double) as max_drop,
    all_alerts.severity,
    cast(all_alerts.deliveries_count as bigint) as deliveries_count,
    cast(all_alerts.breach_periods_count as bigint) as breach_periods_count,
    cast(all_alerts.last_breach_date as date) as last_breach_date,
    all_alerts.status,
    cast(all_alerts.closed_date as date) as closed_date
from all_alerts
left join factories
    on all_alerts.factory_id = factories.factory_id
