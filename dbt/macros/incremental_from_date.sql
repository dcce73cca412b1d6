{#- The first partition day an incremental model re-processes: var('incremental_lookback_days') before the
    as-of day (late-arriving rows of recent days), or earlier when this run loaded an earlier day (a late file
    re-run for its own day, a backfill). Both come from raw.run_context, written by the ingest step. -#}
{% macro incremental_from_date() -%}
    (
        select least(max(as_of_date) - {{ var('incremental_lookback_days') }}, min(loaded_from_date))
        from {{ source('shop', 'run_context') }}
    )
{%- endmacro %}
