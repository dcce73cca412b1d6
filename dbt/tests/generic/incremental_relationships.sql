{#- relationships, for an incremental model (macros/tested_through.sql): dbt's relationships on the rows written since
    the model's tests last passed, each of which must find its value in `to`.`field`; every row when the model has
    no mark yet. NULL passes, as in dbt's test (the column has a not_null test of its own). A parent row that
    disappears later is not looked for in children written before; clearing the marks
    (`delete from meta.tested_through`, as bench.gates does) tests every row again. -#}
{% test incremental_relationships(model, column_name, to, field) %}
{{ adapter.dispatch('test_relationships', 'dbt')(rows_written_since(model, tested_through(model)), column_name, to, field) }}
{% endtest %}
