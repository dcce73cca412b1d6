{#- Fails with every row whose value is negative (nulls pass). -#}
{% test supply_non_negative(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
