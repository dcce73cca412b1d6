{#- unique, for an incremental model (macros/tested_through.sql): the keys of the rows written since the model's tests
    last passed, each counted over the whole table (a new row that repeats a kept key fails too); every key when the
    model has no mark yet. A column, or `columns: [...]` for a combination; NULL counts as a value, as in
    unique_combination_of_columns (the key columns have not_null tests of their own). -#}
{% test incremental_unique(model, column_name=none, columns=none) %}
{%- set keys = columns or [column_name] %}
{%- set mark = tested_through(model) %}
{%- if mark is none %}
{{ test_unique_combination_of_columns(model, keys) }}
{%- else %}
with written as (
    select distinct {{ keys | join(', ') }}
    from {{ model }}
    where coalesce(processed_at > {{ mark }}, true)
)

select
    {{ keys | join(', ') }},
    count(*) as duplicate_count
from {{ model }} as kept
semi join written
    on
    {%- for key in keys %}
        kept.{{ key }} is not distinct from written.{{ key }}{{ ' and' if not loop.last }}
    {%- endfor %}
group by {{ keys | join(', ') }}
having count(*) > 1
{%- endif %}
{% endtest %}
