-- The current factory ranking over the rolling window (supply_ranking_window_days) ending at the as-of day, with the
-- trend against the window before it and each factory's strongest and weakest indicator versus its peers.
{%- set window_days = var('supply_ranking_window_days') %}
with run_context as (

    select {{ as_of_date() }} as as_of_date

),

deliveries as (

    select
        fct_deliveries.*,
        case
            when fct_deliveries.delivered_date > run_context.as_of_date - {{ window_days }} then 'current'
            else 'previous'
        end as window_name
    from {{ ref('fct_deliveries') }} as fct_deliveries
    cross join run_context
    where fct_deliveries.delivered_date > run_context.as_of_date - {{ 2 * window_days }}
        and fct_deliveries.delivered_date <= run_context.as_of_date

),

window_totals as (

    select
        factory_id,
        window_name,
        count(*) as deliveries_count,
        avg(cast(is_on_time as double)) as on_time_rate,
        avg(cast(is_in_full as double)) as in_full_rate,
        avg(cast(is_otif as double)) as otif_rate,
        sum(passed_units) / nullif(sum(inspected_units), 0) as pass_rate,
        1000000.0 * sum(inspected_units - passed_units) / nullif(sum(inspected_units), 0) as defect_ppm,
        avg(lead_time_days) as lead_time_mean_days
    from deliveries
    group by factory_id, window_name

),

scored as (

    select
        *,
        {{ supply_score('on_time_rate', 'in_full_rate', 'pass_rate') }} as score
    from window_totals

),

ranked as (

    select
        *,
        row_number() over (partition by window_name order by {{ supply_rank_order() }}) as rank
    from scored

),

current_window as (

    select * from ranked
    where window_name = 'current'

),

previous_window as (

    select * from ranked
    where window_name = 'previous'

),

peer_stats as (

    select
        avg(on_time_rate) as on_time_mean,
        avg(in_full_rate) as in_full_mean,
        avg(pass_rate) as pass_mean,
        nullif(stddev_pop(on_time_rate), 0) as on_time_stddev,
        nullif(stddev_pop(in_full_rate), 0) as in_full_stddev,
        nullif(stddev_pop(pass_rate), 0) as pass_stddev
    from current_window

),

indicator_gaps as (

    select
        current_window.factory_id,
        indicators.indicator,
        indicators.indicator_order,
        indicators.gap_to_peers
    from current_window
    cross join peer_stats
    cross join lateral (
        -- distance from the peer mean in peer standard deviations, so a small spread (pass rate) counts as much
        -- as a large one (on-time rate); 0 when all peers are equal
        values
            (
                'on_time_rate',
                1,
                coalesce((current_window.on_time_rate - peer_stats.on_time_mean) / peer_stats.on_time_stddev, 0)
            ),
            (
                'in_full_rate',
                2,
                coalesce((current_window.in_full_rate - peer_stats.in_full_mean) / peer_stats.in_full_stddev, 0)
            ),
            (
                'pass_rate',
                3,
                case
                    when current_window.pass_rate is not null
                        then coalesce((current_window.pass_rate - peer_stats.pass_mean) / peer_stats.pass_stddev, 0)
                end
            )
    ) as indicators (indicator, indicator_order, gap_to_peers)
    where indicators.gap_to_peers is not null

),

indicator_extremes as (

    select
        factory_id,
        max(case when strongest_order = 1 then indicator end) as strongest_indicator,
        max(case when weakest_order = 1 then indicator end) as weakest_indicator
    from (
        select
            factory_id,
            indicator,
            row_number() over (partition by factory_id order by gap_to_peers desc, indicator_order) as strongest_order,
            row_number() over (partition by factory_id order by gap_to_peers asc, indicator_order) as weakest_order
        from indicator_gaps
    ) as ordered_gaps
    group by factory_id

),

factories as (

    select * from {{ ref('stg_shop__factories') }}

)

select
    current_window.factory_id,
    factories.factory_name,
    run_context.as_of_date,
    cast(run_context.as_of_date - {{ window_days - 1 }} as date) as window_start_date,
    run_context.as_of_date as window_end_date,
    current_window.deliveries_count,
    current_window.on_time_rate,
    current_window.in_full_rate,
    current_window.otif_rate,
    current_window.pass_rate,
    current_window.defect_ppm,
    current_window.lead_time_mean_days,
    current_window.score,
    {{ supply_tier('current_window.score') }} as tier,
    current_window.rank,
    previous_window.score as previous_score,
    previous_window.rank as previous_rank,
    current_window.score - previous_window.score as score_change,
    case
        when previous_window.score is null then 'new'
        when current_window.score - previous_window.score >= {{ var('supply_ranking_trend_min_score_change') }}
            then 'improving'
        when previous_window.score - current_window.score >= {{ var('supply_ranking_trend_min_score_change') }}
            then 'declining'
        else 'stable'
    end as trend,
    indicator_extremes.strongest_indicator,
    indicator_extremes.weakest_indicator
from current_window
cross join run_context
left join previous_window
    on current_window.factory_id = previous_window.factory_id
left join indicator_extremes
    on current_window.factory_id = indicator_extremes.factory_id
left join factories
    on current_window.factory_id = factories.factory_id
