{#- Within each partition the ranks are exactly 1..n: one row per rank, none missing. Fails with one row per bad
    partition. -#}
{% test supply_ranks_without_gaps(model, column_name, partition_by=[]) %}
select
    {% for column in partition_by %}{{ column }}, {% endfor %}
    count(*) as rows_count,
    count(distinct {{ column_name }}) as distinct_ranks,
    min({{ column_name }}) as min_rank,
    max({{ column_name }}) as max_rank
from {{ model }}
{% if partition_by %}group by {{ partition_by | join(', ') }}{% endif %}
having count(*) <> count(distinct {{ column_name }})
    or min({{ column_name }}) <> 1
    or max({{ column_name }}) <> count(*)
    or count({{ column_name }}) <> count(*)
{% endtest %}
