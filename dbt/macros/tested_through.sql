{#- Tests of the incremental models look at the rows written since the model's tests last passed, not the whole table.
    A daily run re-writes a few per cent of the rows of the large tables; testing every row again cost most of the
    daily `dbt build`'s test time (docs/bench-log.md, "Tests and gates look at what a run wrote").
    - Each incremental model stamps the rows it writes with processed_at = run_started_at_utc().
    - Its scoped tests are the generic tests named incremental_* (tests/generic/). They read the model's mark in
      meta.tested_through and test only rows with a later processed_at (a NULL processed_at is tested too);
      incremental_unique counts each of those keys over the whole table, so a new row that repeats a kept one fails;
      incremental_ranks_without_gaps tests the partitions holding such a row (a partition is written whole);
      incremental_relationships looks for the parent of each of those rows only.
    - on-run-end (record_tested_through) moves the mark of a model to this invocation's start when every one of
      the model's scoped tests ran in it over all its rows in scope (no --empty, no where/limit config) and passed.
      A failure does not move it: the next run tests those rows again, so a failing test keeps failing.
    - A mark holds for one set of scoped tests (their ids, which name their arguments: the fingerprint). A test added
      to or dropped from a model makes its tests look at every row once. After editing the SQL of the generic tests,
      clear the marks.
    - No mark (a new build file, or `delete from meta.tested_through`) = every row is tested; so does a clock that
      went back (on-run-start drops marks later than this invocation's start).
    The GX gates of fct_deliveries, mart_factory_scorecard and mart_customer_rfm keep their marks in the same table
    (scope gx_<gate>, fingerprint of the query, suite and seed compared with; defs/quality/checks.py). -#}

{% macro create_tested_through() -%}
    create schema if not exists meta;
    create table if not exists meta.tested_through (scope varchar, fingerprint varchar, tested_through timestamp);
    delete from meta.tested_through where tested_through >= {{ run_started_at_utc() }}
{%- endmacro %}

{#- The model node ('model.loyalty_warehouse.<name>') a relation is built by, or none. -#}
{% macro node_of(relation) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- if node.schema == relation.schema and node.alias == relation.identifier -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- The scope and fingerprint a model's mark is kept under: 'schema.table', md5 of its scoped tests' ids. -#}
{% macro tested_through_key(node) -%}
    {%- set tests = [] -%}
    {%- for test in graph.nodes.values() if test.resource_type == 'test' and test.test_metadata -%}
        {%- if test.attached_node == node.unique_id
            and test.test_metadata.name.startswith('incremental_') -%}
            {%- do tests.append(test.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'scope': node.schema ~ '.' ~ node.alias, 'fingerprint': local_md5(tests | sort | join(',')),
        'tests': tests}) }}
{%- endmacro %}

{#- The SQL timestamp literal of `model`'s mark, or none (test every row). -#}
{% macro tested_through(model) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set node = node_of(model) -%}
    {%- set marks = adapter.get_relation(database=model.database, schema='meta', identifier='tested_through') -%}
    {%- if node is none or marks is none -%}{{ return(none) }}{%- endif -%}
    {%- set key = tested_through_key(node) -%}
    {%- set found = run_query(
        "select strftime(max(tested_through), '%Y-%m-%d %H:%M:%S.%f') from meta.tested_through"
        ~ " where scope = '" ~ key.scope ~ "' and fingerprint = '" ~ key.fingerprint ~ "'"
    ) -%}
    {%- set mark = found.columns[0].values()[0] -%}
    {{ return(none if mark is none else "cast('" ~ mark ~ "' as timestamp)") }}
{%- endmacro %}

{#- on-run-end: the models whose scoped tests all ran over every row in scope and passed get this invocation's start. -#}
{% macro record_tested_through(results) -%}
    {%- if execute and not flags.EMPTY -%}
        {%- set passed = [] -%}
        {%- for result in results if result.node.resource_type == 'test' and result.status == 'pass' -%}
            {%- if result.node.config.where is none and result.node.config.limit is none -%}
                {%- do passed.append(result.node.unique_id) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set tested = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
            {%- set key = tested_through_key(node) -%}
            {%- if key.tests and key.tests | reject('in', passed) | list | length == 0 -%}
                {%- do tested.append(key) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if tested -%}
    delete from meta.tested_through where scope in ('{{ tested | map(attribute='scope') | join("', '") }}');
    insert into meta.tested_through values
    {%- for key in tested %}
        ('{{ key.scope }}', '{{ key.fingerprint }}', {{ run_started_at_utc() }}){{ ',' if not loop.last }}
    {%- endfor %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The rows of `model` written after `mark` (processed_at later, or NULL); `model` itself when `mark` is none (no
    mark: every row). The one filter every scoped test applies. -#}
{% macro rows_written_since(model, mark) -%}
    {%- if mark is none -%}
        {{ return(model) }}
    {%- endif -%}
    {{ return("(select * from " ~ model ~ " where coalesce(processed_at > " ~ mark ~ ", true))") }}
{%- endmacro %}

{#- A scoped test's relation (tests/generic/incremental_*): the rows of `model` whose `columns` (a key, or the
    columns of a partition written whole) hold the values of a row written after `mark`; `model` itself when
    `mark` is none (no mark: every row). NULL matches NULL. -#}
{% macro written_rows(model, columns, mark) -%}
    {%- if mark is none -%}
        {{ return(model) }}
    {%- endif -%}
    {%- set rows -%}
(
    select kept.* from {{ model }} as kept
    semi join (
        select distinct {{ columns | join(', ') }}
        from {{ rows_written_since(model, mark) }}
    ) as written
        on
        {%- for column in columns %}
            kept.{{ column }} is not distinct from written.{{ column }}{{ ' and' if not loop.last }}
        {%- endfor %}
)
    {%- endset -%}
    {{ return(rows) }}
{%- endmacro %}
