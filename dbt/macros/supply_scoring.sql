{#- Supply scoring rules, one place each (vars in dbt_project.yml, "supply marts"). -#}

{#- A delivery (or material receipt) is on time when it is neither later nor much earlier than promised. -#}
{% macro supply_is_on_time(days_late) -%}
    ({{ days_late }} <= {{ var('supply_on_time_max_days_late') }}
        and {{ days_late }} >= -{{ var('supply_on_time_max_days_early') }})
{%- endmacro %}

{#- Weighted 0..100 score from on-time, in-full and pass rates (0..1 each, or booleans for one delivery).
    A null pass rate (nothing inspected yet) drops its weight, so the score rests on the other two. -#}
{% macro supply_score(on_time, in_full, pass_rate) -%}
    {%- set w_on_time = var('supply_score_weight_on_time') -%}
    {%- set w_in_full = var('supply_score_weight_in_full') -%}
    {%- set w_pass = var('supply_score_weight_pass_rate') -%}
    (100.0 * (
        {{ w_on_time }} * cast({{ on_time }} as double)
        + {{ w_in_full }} * cast({{ in_full }} as double)
        + {{ w_pass }} * coalesce(cast({{ pass_rate }} as double), 0.0)
    ) / (
        {{ w_on_time }} + {{ w_in_full }}
        + case when {{ pass_rate }} is null then 0.0 else {{ w_pass }} end
    ))
{%- endmacro %}

{#- Preferred / Acceptable / Developmental from a 0..100 score. -#}
{% macro supply_tier(score) -%}
    case
        when {{ score }} >= {{ var('supply_tier_preferred_min_score') }} then 'Preferred'
        when {{ score }} >= {{ var('supply_tier_acceptable_min_score') }} then 'Acceptable'
        else 'Developmental'
    end
{%- endmacro %}

{#- Ranking order within a period: best score first; ties go to the higher OTIF rate, then more deliveries,
    then factory_id, so a rank never depends on row order. -#}
{% macro supply_rank_order() -%}
    score desc nulls last,
    otif_rate desc nulls last,
    deliveries_count desc,
    factory_id
{%- endmacro %}

{#- The decline-alert indicators as (indicator, successes, trials): the rate over a window of weeks is
    sum(successes) / sum(trials); supply_alert_min_drop_<indicator> is its minimum drop (int_factory_weeks,
    mart_factory_alerts). -#}
{% macro supply_alert_indicators() -%}
    {{ return([
        ('on_time_rate', 'on_time_count', 'deliveries_count'),
        ('in_full_rate', 'in_full_count', 'deliveries_count'),
        ('pass_rate', 'passed_units', 'inspected_units'),
    ]) }}
{%- endmacro %}
