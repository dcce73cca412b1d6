{#- Incremental staging. Each staging model stg_shop__<table> keeps the latest loaded copy of every key of raw
    <table>; the key is the model's unique_key config, named once. A model is
        {{ config(unique_key=[...]) }}  select <typed columns> from ({{ staging_rows() }}) {{ staging_latest_copy() }}
    and dbt_project.yml runs staging_forget_vanished() as every staging model's pre-hook.
    A build re-decides only the keys a load touched since the table was last built:
      - a raw row loaded since then (its _loaded_at is newer than the newest loaded_at kept here), or
      - a key whose kept copy sits in a partition day a later load replaced (meta.load_history names the days;
        the reload may have dropped or changed that copy).
    Their winners are chosen again from all their raw copies, so the result is exactly what a full rebuild gives
    (tests/test_incremental_staging.py). A key left with no raw copy at all is deleted first (pre-hook).
    Raw only changes through warehouse/raw.py load_table (a partition-day range replaced in one transaction,
    recorded in meta.load_history with the same timestamp as the rows' _loaded_at). -#}

{#- The raw table of this staging model: stg_shop__orders reads raw orders. -#}
{% macro staging_table() -%}
    {{ return(model.name.split('__')[-1]) }}
{%- endmacro %}

{#- This model's key columns (its unique_key config) as a list. -#}
{% macro staging_key() -%}
    {%- set key = config.get('unique_key') or [] -%}
    {{ return([key] if key is string else key) }}
{%- endmacro %}

{#- The latest loaded copy of each key wins; a tie on _loaded_at (two copies of one load) goes to the later file
    (files are read in name order), then to the later line of it, compared as a number (`orders.csv:10` after
    `orders.csv:9`). warehouse/raw.py records such ties in meta.key_conflicts with the same order (KEPT_COPY_ORDER). -#}
{% macro staging_latest_copy() -%}
    qualify row_number() over (
        partition by {{ staging_key() | join(', ') }}
        order by _loaded_at desc, {{ source_order('_source') }}
    ) = 1
{%- endmacro %}

{#- `_source` as file, then line as a number, latest first. -#}
{% macro source_order(column) -%}
    regexp_replace({{ column }}, ':[0-9]+$', '') desc,
        try_cast(regexp_extract({{ column }}, ':([0-9]+)$', 1) as bigint) desc nulls last
{%- endmacro %}

{% macro staging_watermark() -%}
    (select coalesce(max(loaded_at), '-infinity'::timestamp) from {{ this }})
{%- endmacro %}

{#- Whether a kept row's partition day was replaced by a load since the table was last built. The range of all
    those days comes first: DuckDB turns it into a filter on the scan and skips the row groups outside it; the
    EXISTS alone read every kept row (the select of stg_shop__purchase_orders on a TPC-H SF10 build: 4.7 s, 3.3 s
    with the range). -#}
{% macro staging_in_replaced_days(table, partition_date_column) -%}
    {%- set since_built %}
        from {{ source('warehouse_meta', 'load_history') }} as loads
        where
            loads.table_name = '{{ table }}'
            and loads.loaded_at > {{ staging_watermark() }}
    {%- endset -%}
    {{ partition_date_column }}
        between (select min(loads.first_day) {{ since_built }}) and (select max(loads.last_day) {{ since_built }})
    and exists (
        select 1
        {{ since_built }}
            and {{ partition_date_column }} between loads.first_day and loads.last_day
    )
{%- endmacro %}

{#- The raw rows a staging model de-duplicates: all of them on a full build, else every copy of the touched keys.
    The copies are found by their rowid first (a scan of raw's key columns), then read whole: a semi join of raw on
    the keys read every column of every raw row, while DuckDB turns the rowids into a filter on the scan
    (`rowid IN PRF` in EXPLAIN ANALYZE) and reads only the row groups that hold them: raw is appended load by load,
    so mostly the newest (1 of 49 on TPC-H SF1). The select of stg_shop__order_items on a TPC-H SF1 build, the next
    day loaded: 0.16-0.24 s, 0.05 s by rowid. Under `dbt build --empty` a source is a subquery, without rowids: the
    full build's select, which reads no rows then. -#}
{% macro staging_rows() -%}
    {%- set table = staging_table() -%}
    {%- set keys = staging_key() | join(', ') -%}
    {%- if is_incremental() and not flags.EMPTY %}
    select raw_rows.*
    from {{ source('shop', table) }} as raw_rows
    where raw_rows.rowid in (
        select copies.rowid
        from {{ source('shop', table) }} as copies
        semi join (
            select {{ keys }} from {{ source('shop', table) }}
            where _loaded_at > {{ staging_watermark() }}
            union
            select {{ keys }} from {{ this }} as kept
            where {{ staging_in_replaced_days(table, 'kept.partition_date') }}
        ) as touched using ({{ keys }})
    )
    {%- else %}
    select * from {{ source('shop', table) }}
    {%- endif %}
{%- endmacro %}

{#- Pre-hook: delete the kept keys whose partition day was replaced and that have no raw copy left. -#}
{% macro staging_forget_vanished() -%}
    {%- if is_incremental() -%}
    {%- set table = staging_table() -%}
    {%- set key_columns = staging_key() -%}
    {%- set keys = key_columns | join(', ') -%}
    delete from {{ this }} as kept_rows
    using (
        with candidates as (
            select {{ keys }} from {{ this }} as kept
            where {{ staging_in_replaced_days(table, 'kept.partition_date') }}
        )

        select {{ keys }} from candidates
        except
        select {{ keys }} from {{ source('shop', table) }} semi join candidates using ({{ keys }})
    ) as vanished
    where
        {%- for key in key_columns %}
        kept_rows.{{ key }} = vanished.{{ key }}{{ ' and' if not loop.last }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
