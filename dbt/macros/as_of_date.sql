{#- The build's as-of day, written by the ingest step to raw.run_context (a table, not a dbt var, so that a new
    day does not force dbt to re-parse the project). -#}
{% macro as_of_date() -%}
    (select max(as_of_date) from {{ source('shop', 'run_context') }})
{%- endmacro %}

{#- When this dbt invocation started, in UTC (dbt's run_started_at): the processed_at watermark of the incremental
    supply models. One clock for every model of a run, and no local time (a DST fall-back or a time-zone change
    cannot make a newer row look older). -#}
{% macro run_started_at_utc() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}
