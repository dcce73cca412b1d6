{#- The build's as-of day, written by the ingest step to raw.run_context (a table, not a dbt var, so that a new
    day does not force dbt to re-parse the project). -#}
{% macro as_of_date() -%}
    (select max(as_of_date) from {{ source('shop', 'run_context') }})
{%- endmacro %}
