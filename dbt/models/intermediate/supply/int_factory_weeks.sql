-- Factory x ISO week, dense from the factory's first delivery week to the as-of week (a week without deliveries
-- counts as empty): the week's deliveries and, per decline indicator, the recent value (the last
-- supply_alert_recent_weeks weeks), the factory's own baseline (the supply_alert_baseline_weeks weeks before), the
-- drop, its standard error and whether the week is a breach. mart_factory_alerts forms the alert episodes.
-- Incremental: the pre-hooks (factory_weeks_save_recomputed(), factory_weeks_forget_recomputed()) pick, per
-- factory, the first week to re-compute and delete its rows from there; the model appends them again. A daily run
-- thus re-computes each factory from the earlier of the previous run's running week and its first week with a
-- (re)written or departed delivery, not every factory's whole history. Changing an alert var needs a full build
-- (`make build`, or `dbt build --full-refresh`). The as-of day never moves back (raw.write_run_context).
{%- set recent_weeks = var('supply_alert_recent_weeks') %}
{%- set baseline_weeks = var('supply_alert_baseline_weeks') %}
{%- set measures = ['deliveries_count', 'on_time_count', 'in_full_count', 'inspected_units', 'passed_units'] %}
{#- how far back the windows of the first written week reach -#}
{%- set window_reach_days = 7 * (recent_weeks + baseline_weeks - 1) %}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}{{ factory_weeks_save_recomputed() }}{% endif %}",
            "{% if is_incremental() %}{{ factory_weeks_forget_recomputed() }}{% endif %}"
        ]
    )
}}

with run_context as (

    select
        {{ as_of_date() }} as as_of_date,
        cast(date_trunc('week', {{ as_of_date() }}) as date) as as_of_week_start

),

recomputed as (

    -- per factory: its first delivery week (week_number 1) and the first week this run writes
    {% if is_incremental() %}
    select
        factory_id,
        first_week_start,
        from_week_start
    from int_factory_weeks__recomputed
    {% else %}
    select
        factory_id,
        first_week_start,
        first_week_start as from_week_start
    from ({{ factory_first_weeks() }}) as first_weeks
    {% endif %}

),

weekly_totals as (

    -- from the first week whose windows reach the first written week
    select
        fct_deliveries.factory_id,
        cast(date_trunc('week', fct_deliveries.delivered_date) as date) as week_start,
        count(*) as deliveries_count,
        count(*) filter (where fct_deliveries.is_on_time) as on_time_count,
        count(*) filter (where fct_deliveries.is_in_full) as in_full_count,
        sum(fct_deliveries.inspected_units) as inspected_units,
        sum(fct_deliveries.passed_units) as passed_units
    from {{ ref('fct_deliveries') }} as fct_deliveries
    inner join recomputed
        on fct_deliveries.factory_id = recomputed.factory_id
    cross join run_context
    where
        fct_deliveries.delivered_date <= run_context.as_of_date
        and fct_deliveries.delivered_date >= recomputed.from_week_start - {{ window_reach_days }}
        -- the same bound for all factories at once: lets DuckDB skip row groups before the earliest one
        and fct_deliveries.delivered_date
        >= (select min(earliest.from_week_start) from recomputed as earliest) - {{ window_reach_days }}
    group by all

),

dense_weeks as (

    -- every week from there to the as-of week, so "N weeks" means N calendar weeks and the row N back is the
    -- week N back
    select
        recomputed.factory_id,
        spine.week_start,
        recomputed.from_week_start,
        (spine.week_start - recomputed.first_week_start) // 7 + 1 as week_number,
        least(spine.week_start + 6, run_context.as_of_date) as evaluated_date,
        {%- for measure in measures %}
        coalesce(weekly_totals.{{ measure }}, 0) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from recomputed
    cross join run_context
    cross join lateral (
        select
            cast(unnest(generate_series(
                cast(greatest(
                    recomputed.first_week_start,
                    recomputed.from_week_start - {{ window_reach_days }}
                ) as timestamp),
                cast(run_context.as_of_week_start as timestamp),
                interval 7 day
            )) as date) as week_start
    ) as spine
    left join weekly_totals
        on
            recomputed.factory_id = weekly_totals.factory_id
            and spine.week_start = weekly_totals.week_start

),

running_totals as (

    select
        *,
        {%- for measure in measures %}
        sum({{ measure }}) over (
            partition by factory_id order by week_number rows between unbounded preceding and current row
        ) as cumulative_{{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from dense_weeks

),

rolling_windows as (

    -- sums over the recent and the baseline weeks: differences of the running totals (dense weeks)
    select
        factory_id,
        week_start,
        from_week_start,
        week_number,
        evaluated_date,
        deliveries_count,
        {%- for measure in measures %}
        cumulative_{{ measure }}
        - coalesce(lag(cumulative_{{ measure }}, {{ recent_weeks }}) over by_week, 0) as recent_{{ measure }},
        coalesce(lag(cumulative_{{ measure }}, {{ recent_weeks }}) over by_week, 0)
        - coalesce(lag(cumulative_{{ measure }}, {{ recent_weeks + baseline_weeks }}) over by_week, 0)
            as baseline_{{ measure }},
        {%- endfor %}
        -- weeks the baseline window holds (the factory's first weeks have fewer before them)
        greatest(least(week_number - {{ recent_weeks }}, {{ baseline_weeks }}), 0) as baseline_weeks_count
    from running_totals
    window by_week as (partition by factory_id order by week_number)

),

indicator_values as (

    -- each indicator's recent and baseline value, the drop, and the standard error of the drop (difference of two
    -- proportions; trials: deliveries, or inspected units)
    select
        factory_id,
        week_start,
        week_number,
        evaluated_date,
        deliveries_count,
        recent_deliveries_count,
        baseline_weeks_count = {{ baseline_weeks }}
        and recent_deliveries_count >= {{ var('supply_alert_min_deliveries') }}
        and baseline_deliveries_count >= {{ var('supply_alert_min_deliveries') }}
            as is_evaluable,
        {%- for indicator, successes, trials in supply_alert_indicators() %}
        recent_{{ successes }} / nullif(recent_{{ trials }}, 0) as {{ indicator }}_recent,
        baseline_{{ successes }} / nullif(baseline_{{ trials }}, 0) as {{ indicator }}_baseline,
        sqrt(
            baseline_{{ successes }} / nullif(baseline_{{ trials }}, 0)
            * (1 - baseline_{{ successes }} / nullif(baseline_{{ trials }}, 0))
            * (1.0 / nullif(recent_{{ trials }}, 0) + 1.0 / nullif(baseline_{{ trials }}, 0))
        ) as {{ indicator }}_standard_error{{ ',' if not loop.last }}
        {%- endfor %}
    from rolling_windows
    where week_start >= from_week_start

)

select
    factory_id,
    week_start,
    week_number,
    evaluated_date,
    cast(deliveries_count as bigint) as deliveries_count,
    cast(recent_deliveries_count as bigint) as recent_deliveries_count,
    is_evaluable,
    {%- for indicator, successes, trials in supply_alert_indicators() %}
    {{ indicator }}_recent,
    {{ indicator }}_baseline,
    {{ indicator }}_baseline - {{ indicator }}_recent as {{ indicator }}_drop,
    {{ indicator }}_standard_error,
    coalesce(
        is_evaluable
        and {{ indicator }}_baseline - {{ indicator }}_recent > {{ var('supply_alert_min_drop_' ~ indicator) }}
        and {{ indicator }}_baseline - {{ indicator }}_recent
        > {{ var('supply_alert_min_z_score') }} * {{ indicator }}_standard_error,
        false
    ) as {{ indicator }}_is_breach,
    {%- endfor %}
    {{ run_started_at_utc() }} as processed_at
from indicator_values
