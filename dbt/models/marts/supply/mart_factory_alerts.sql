-- One row per alert episode. Decline alerts: every ISO week each factory's indicator over the last
-- supply_alert_recent_weeks weeks is compared with its own baseline, the supply_alert_baseline_weeks weeks before
-- (int_factory_weeks, incremental: the breach weeks); consecutive breach weeks (gaps shorter than
-- supply_alert_recovery_weeks) form ONE episode (gaps and islands), which stays open until
-- supply_alert_recovery_weeks weeks in a row pass without a breach. Tier-floor alerts: a monthly
-- score below supply_tier_acceptable_min_score for supply_alert_tier_floor_months months in a row.
{%- set recovery_weeks = var('supply_alert_recovery_weeks') %}
{%- set floor_months = var('supply_alert_tier_floor_months') %}
{%- set floor_score = var('supply_tier_acceptable_min_score') %}
with run_context as (

    select
        {{ as_of_date() }} as as_of_date,
        cast(date_trunc('month', {{ as_of_date() }}) as date) as as_of_month_start

),

indicator_weeks as (

    -- the weeks of int_factory_weeks (every factory's ISO weeks, with each indicator's recent and baseline value)
    -- that breach on any indicator, one row per indicator; breach_weeks keeps the breached ones
    select
        factory_weeks.factory_id,
        factory_weeks.week_start,
        factory_weeks.evaluated_date,
        factory_weeks.week_number,
        indicators.indicator,
        indicators.min_drop,
        indicators.recent_value,
        indicators.baseline_value,
        indicators.value_drop,
        factory_weeks.recent_deliveries_count,
        indicators.is_breach
    from {{ ref('int_factory_weeks') }} as factory_weeks
    cross join lateral (
        values
            {%- for indicator, successes, trials in supply_alert_indicators() %}
            (
                '{{ indicator }}',
                {{ var('supply_alert_min_drop_' ~ indicator) }},
                factory_weeks.{{ indicator }}_recent,
                factory_weeks.{{ indicator }}_baseline,
                factory_weeks.{{ indicator }}_drop,
                factory_weeks.{{ indicator }}_is_breach
            ){{ ',' if not loop.last }}
            {%- endfor %}
    ) as indicators (indicator, min_drop, recent_value, baseline_value, value_drop, is_breach)
    where
        {%- for indicator, successes, trials in supply_alert_indicators() %}
        {{ 'or ' if not loop.first }}factory_weeks.{{ indicator }}_is_breach
        {%- endfor %}

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
    where is_breach
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
    from {{ ref('int_factory_weeks') }}
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
