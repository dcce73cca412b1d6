{#- Tests of the incremental models look at the rows written since the model's tests last passed, not the whole table.
    A daily run re-writes a few per cent of the rows of the large tables; testing every row again cost most of the
    daily `dbt build`'s test time (BENCHMARKS.md, "Tests look at the rows a run wrote").
    - Each incremental model stamps the rows it writes with processed_at = run_started_at_utc().
    - Its key tests are incremental_unique / incremental_not_null (tests/generic/). They read the model's mark in
      meta.tested_through and test only rows with a later processed_at (a NULL processed_at is tested too);
      incremental_unique counts each of those keys over the whole table, so a new row that repeats a kept one fails.
    - on-run-end (record_tested_through) moves the mark of a model to this invocation's start when every one of
      the model's scoped tests ran in it and passed. A failure does not move it: the next run tests those rows
      again, so a failing test keeps failing until the data are fixed.
    - No mark (a new build file, or `delete from meta.tested_through`) = every row is tested.
    The GX gates of fct_deliveries and mart_factory_scorecard keep their marks in the same table (scope gx_<gate>;
    defs/quality/checks.py). -#}

{% macro create_tested_through() -%}
    create schema if not exists meta;
    create table if not exists meta.tested_through (scope varchar, tested_through timestamp)
{%- endmacro %}

{#- The SQL timestamp literal of `model`'s mark, or none (test every row). -#}
{% macro tested_through(model) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set marks = adapter.get_relation(database=model.database, schema='meta', identifier='tested_through') -%}
    {%- if marks is none -%}{{ return(none) }}{%- endif -%}
    {%- set found = run_query(
        "select strftime(max(tested_through), '%Y-%m-%d %H:%M:%S.%f') from meta.tested_through"
        ~ " where scope = '" ~ model.schema ~ "." ~ model.identifier ~ "'"
    ) -%}
    {%- set mark = found.columns[0].values()[0] -%}
    {{ return(none if mark is none else "cast('" ~ mark ~ "' as timestamp)") }}
{%- endmacro %}

{#- on-run-end: the models whose scoped tests all ran and passed in this invocation get this invocation's start. -#}
{% macro record_tested_through(results) -%}
    {%- if execute -%}
        {%- set passed = [] -%}
        {%- for result in results if result.node.resource_type == 'test' and result.status == 'pass' -%}
            {%- do passed.append(result.node.unique_id) -%}
        {%- endfor -%}
        {%- set tests_of = {} -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'test' and node.test_metadata -%}
            {%- if node.test_metadata.name in ['incremental_unique', 'incremental_not_null'] -%}
                {%- do tests_of.setdefault(node.attached_node, []).append(node.unique_id) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set tested = [] -%}
        {%- for model_id, tests in tests_of.items() -%}
            {%- if tests | reject('in', passed) | list | length == 0 -%}
                {%- set model = graph.nodes[model_id] -%}
                {%- do tested.append("'" ~ model.schema ~ "." ~ model.alias ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if tested -%}
    delete from meta.tested_through where scope in ({{ tested | join(', ') }});
    insert into meta.tested_through
    select scope, {{ run_started_at_utc() }} from (values ({{ tested | join("), (") }})) as tested (scope)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
