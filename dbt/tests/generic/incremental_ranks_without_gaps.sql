{#- supply_ranks_without_gaps, for an incremental model whose partitions are written and deleted whole
    (macros/tested_through.sql): the partitions holding a row written since the model's tests last passed; every
    partition when the model has no mark yet. -#}
{% test incremental_ranks_without_gaps(model, column_name, partition_by) %}
{%- set mark = tested_through(model) %}
{%- if mark is none %}
{{ test_supply_ranks_without_gaps(model, column_name, partition_by) }}
{%- else %}
{%- set written_partitions -%}
(
    select * from {{ model }} as kept
    semi join (
        select distinct {{ partition_by | join(', ') }}
        from {{ model }}
        where coalesce(processed_at > {{ mark }}, true)
    ) as written
        on
        {%- for column in partition_by %}
            kept.{{ column }} is not distinct from written.{{ column }}{{ ' and' if not loop.last }}
        {%- endfor %}
)
{%- endset %}
{{ test_supply_ranks_without_gaps(written_partitions, column_name, partition_by) }}
{%- endif %}
{% endtest %}
