{#- supply_ranks_without_gaps, for an incremental model whose partitions are written and deleted whole
    (macros/tested_through.sql): the partitions holding a row written since the model's tests last passed; every
    partition when the model has no mark yet. -#}
{% test incremental_ranks_without_gaps(model, column_name, partition_by) %}
{{ test_supply_ranks_without_gaps(written_rows(model, partition_by, tested_through(model)), column_name, partition_by) }}
{% endtest %}
