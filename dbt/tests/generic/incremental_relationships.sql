{#- relationships, for an incremental model (macros/tested_through.sql): each row written since the model's tests last
    passed must find its value in `to`.`field`; every row when the model has no mark yet. NULL passes, as in dbt's
    relationships, whose query this is with the child rows scoped (the column has a not_null test of its own). A
    parent row that disappears later is not looked for in children written before; clearing the marks
    (`delete from meta.tested_through`, as bench.gates does) tests every row again. -#}
{% test incremental_relationships(model, column_name, to, field) %}
{%- set mark = tested_through(model) %}
with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if mark is not none %}
        and coalesce(processed_at > {{ mark }}, true)
        {%- endif %}
),

parent as (
    select {{ field }} as to_field
    from {{ to }}
)

select child.from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null
{% endtest %}
