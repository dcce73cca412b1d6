{#- unique, for an incremental model (macros/tested_through.sql): the keys of the rows written since the model's tests
    last passed, each counted over the whole table (a new row that repeats a kept key fails too); every key when the
    model has no mark yet. A column, or `columns: [...]` for a combination; NULL counts as a value, as in
    unique_combination_of_columns (the key columns have not_null tests of their own). -#}
{% test incremental_unique(model, column_name=none, columns=none) %}
{%- set keys = columns or [column_name] %}
{{ test_unique_combination_of_columns(written_rows(model, keys, tested_through(model)), keys) }}
{% endtest %}
