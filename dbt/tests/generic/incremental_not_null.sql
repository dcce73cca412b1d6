{#- not_null, for an incremental model (macros/tested_through.sql): the rows written since the model's tests last
    passed; every row when the model has no mark yet. -#}
{% test incremental_not_null(model, column_name) %}
{%- set mark = tested_through(model) %}
select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is null
    {%- if mark is not none %}
    and coalesce(processed_at > {{ mark }}, true)
    {%- endif %}
{% endtest %}
