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

{#- Pre-hook of int_customer_orders_aggregated: delete the customers to re-aggregate, i.e. the touched ones and
    those whose paid-order count here differs from fct_orders' (an order moved away or dropped, or no paid order
    left). The model then aggregates every customer with a paid order and no row. -#}
{% macro forget_reaggregated_customers() -%}
    delete from {{ this }}
    where customer_id in ({{ touched_customers() }})
        or customer_id in (
            select kept.customer_id
            from {{ this }} as kept
            left join (
                select customer_id, count(*) as orders_count
                from {{ ref('fct_orders') }}
                where is_paid
                group by customer_id
            ) as paid on kept.customer_id = paid.customer_id
            where kept.orders_count is distinct from paid.orders_count
        )
{%- endmacro %}

{#- Pre-hook of fct_deliveries: its first re-processed partition day, `incremental_lookback_days` before the
    latest loaded_partition_date it holds or the earliest day this run loaded (a late or corrected file), kept in
    a temp table of this dbt connection: the model and its post-hook (deliveries_forget_gone()) both read it, and
    the post-hook must not re-compute it after the insert has moved max(loaded_partition_date) on. -#}
{% macro deliveries_save_reprocess_from() -%}
    create or replace temp table fct_deliveries__reprocess_from as
    select least(
        max(loaded_partition_date) - {{ var('incremental_lookback_days') }},
        (select min(loaded_from_date) from {{ source('shop', 'run_context') }})
    ) as reprocess_from_date
    from {{ this }}
{%- endmacro %}

{#- Post-hook of fct_deliveries: delete the kept deliveries staging no longer has (or whose PO it no longer has).
    Only deliveries from the re-processed days can be gone (their day was re-loaded), so only those are checked,
    with the window the model used (saved by the pre-hook): an anti-join of all of fct_deliveries against staging
    took 13 s at TPC-H SF10, this 3 s. -#}
{% macro deliveries_forget_gone() -%}
    delete from {{ this }} as kept
    where kept.loaded_partition_date >= (select reprocess_from_date from fct_deliveries__reprocess_from)
        and not exists (
            select 1
            from {{ ref('stg_shop__deliveries') }} as deliveries
            semi join {{ ref('stg_shop__purchase_orders') }} as purchase_orders
                on deliveries.po_id = purchase_orders.po_id
            where deliveries.delivery_id = kept.delivery_id
        )
{%- endmacro %}
