{#- The first partition day an incremental model re-processes: var('incremental_lookback_days') before the
    as-of day (late-arriving rows of recent days), or earlier when this run loaded an earlier day (a late file
    re-run for its own day, a backfill). Both come from raw.run_context, written by the ingest step. -#}
{% macro incremental_from_date() -%}
    (
        select least(max(as_of_date) - {{ var('incremental_lookback_days') }}, min(loaded_from_date))
        from {{ source('shop', 'run_context') }}
    )
{%- endmacro %}

{#- The customers an incremental run re-processes: those with an order or an order line in a partition day on or
    after incremental_from_date(). fct_orders rebuilds all of their orders; int_customer_orders_aggregated
    re-aggregates them (and forgets those left with no paid order). -#}
{% macro touched_customers() -%}
    select orders.customer_id
    from {{ ref('stg_shop__orders') }} as orders
    where orders.customer_id is not null
        and orders.partition_date >= {{ incremental_from_date() }}

    union

    select orders.customer_id
    from {{ ref('stg_shop__order_items') }} as order_items
    inner join {{ ref('stg_shop__orders') }} as orders on order_items.order_id = orders.order_id
    where orders.customer_id is not null
        and order_items.partition_date >= {{ incremental_from_date() }}
{%- endmacro %}

{#- The earliest RFM snapshot an incremental run re-computes: the snapshots on or after incremental_from_date(),
    and the latest month end before the as-of day (it may have been written as a partial current snapshot). No
    snapshot lies between that month end and the as-of day, so "on or after the earlier of the two" is that set. -#}
{% macro rfm_snapshots_recomputed_from() -%}
    least({{ incremental_from_date() }}, cast(date_trunc('month', {{ as_of_date() }}) - interval 1 day as date))
{%- endmacro %}
