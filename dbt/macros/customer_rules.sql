{#- Customer-mart rules shared by several models. Thresholds come from the `# --- customer marts` vars of
    dbt_project.yml; docs/customer-marts.md explains them. -#}

{#- '1', '2', '3-4', '5-9', '10+' from var purchase_tier_lower_bounds; null when no paid order. -#}
{% macro customer_purchase_tier(orders_count) -%}
    {%- set bounds = var('purchase_tier_lower_bounds') | sort -%}
    case
    {%- for lower in bounds | reverse %}
        {%- set i = bounds | length - loop.index %}
        {%- if loop.first %}
        when {{ orders_count }} >= {{ lower }} then '{{ lower }}+'
        {%- else %}
        {%- set upper = bounds[i + 1] - 1 %}
        when {{ orders_count }} >= {{ lower }} then '{{ lower if upper == lower else lower ~ "-" ~ upper }}'
        {%- endif %}
    {%- endfor %}
    end
{%- endmacro %}

{#- The accepted purchase_tier labels, for tests and docs. -#}
{% macro customer_purchase_tier_labels() -%}
    {%- set bounds = var('purchase_tier_lower_bounds') | sort -%}
    {%- set labels = [] -%}
    {%- for lower in bounds -%}
        {%- if loop.last -%}
            {%- do labels.append(lower ~ '+') -%}
        {%- else -%}
            {%- set upper = bounds[loop.index] - 1 -%}
            {%- do labels.append(lower ~ '' if upper == lower else lower ~ '-' ~ upper) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(labels) }}
{%- endmacro %}

{#- The brand's repurchase cycle in days: var repurchase_cycle_days, else the measured overall median. -#}
{% macro customer_repurchase_cycle_days() -%}
    {%- if var('repurchase_cycle_days') is not none -%}
        cast({{ var('repurchase_cycle_days') }} as double)
    {%- else -%}
        (
            select round(median_days)
            from {{ ref('mart_repurchase_cycle') }}
            where dimension = 'overall'
        )
    {%- endif -%}
{%- endmacro %}

{#- new / active / at_risk / dormant / lost from days since the last paid order, relative to the cycle. -#}
{% macro customer_lifecycle_stage(orders_count, days_since_last_order, cycle_days) -%}
    case
        when {{ orders_count }} is null or {{ orders_count }} = 0 then null
        when {{ days_since_last_order }} <= {{ cycle_days }} * {{ var('lifecycle_active_max_cycles') }}
            then case when {{ orders_count }} = 1 then 'new' else 'active' end
        when {{ days_since_last_order }} <= {{ cycle_days }} * {{ var('lifecycle_at_risk_max_cycles') }}
            then 'at_risk'
        when {{ days_since_last_order }} <= {{ cycle_days }} * {{ var('lifecycle_dormant_max_cycles') }}
            then 'dormant'
        else 'lost'
    end
{%- endmacro %}

{#- Spend level label from var spend_level_bands ([label, lower bound] pairs). -#}
{% macro customer_spend_level(net_revenue) -%}
    case
    {%- for band in var('spend_level_bands') | sort(attribute='1') | reverse %}
        when {{ net_revenue }} >= {{ band[1] }} then '{{ band[0] }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- AOV band label from var aov_bands ([label, lower bound] pairs) by the average paid-order value. -#}
{% macro customer_aov_band(avg_order_value) -%}
    case
    {%- for band in var('aov_bands') | sort(attribute='1') | reverse %}
        when {{ avg_order_value }} >= {{ band[1] }} then '{{ band[0] }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- Age band ('18-24', ..., '50+', 'under_18', 'unknown') from var age_band_lower_bounds. -#}
{% macro customer_age_band(age) -%}
    {%- set bounds = var('age_band_lower_bounds') | sort -%}
    case
        when {{ age }} is null then 'unknown'
    {%- for lower in bounds | reverse %}
        {%- set i = bounds | length - loop.index %}
        {%- if loop.first %}
        when {{ age }} >= {{ lower }} then '{{ lower }}+'
        {%- else %}
        when {{ age }} >= {{ lower }} then '{{ lower }}-{{ bounds[i + 1] - 1 }}'
        {%- endif %}
    {%- endfor %}
        else 'under_{{ bounds[0] }}'
    end
{%- endmacro %}
