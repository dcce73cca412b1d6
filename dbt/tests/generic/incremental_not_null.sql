{#- not_null, for an incremental model (macros/tested_through.sql): dbt's not_null on the rows written since the
    model's tests last passed; every row when the model has no mark yet. -#}
{% test incremental_not_null(model, column_name) %}
{{ adapter.dispatch('test_not_null', 'dbt')(rows_written_since(model, tested_through(model)), column_name) }}
{% endtest %}
