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
    with the window the model used (saved by the pre-hook). Written as "rows of the window whose id is in the gone
    ids of the window", with the gone ids found by left joins (staging's delivery_id is unique): DuckDB plans a
    DELETE with a correlated NOT EXISTS far worse than the same SELECT. In a TPC-H SF10 daily run the NOT EXISTS
    delete took 15.6 s, this 2.5 s (the same check as a SELECT: 2.8 s). -#}
{% macro deliveries_forget_gone() -%}
    delete from {{ this }}
    where loaded_partition_date >= (select reprocess_from_date from fct_deliveries__reprocess_from)
        and delivery_id in (
            select kept.delivery_id
            from {{ this }} as kept
            left join {{ ref('stg_shop__deliveries') }} as deliveries
                on kept.delivery_id = deliveries.delivery_id
            left join {{ ref('stg_shop__purchase_orders') }} as purchase_orders
                on deliveries.po_id = purchase_orders.po_id
            where kept.loaded_partition_date >= (select reprocess_from_date from fct_deliveries__reprocess_from)
                and purchase_orders.po_id is null
        )
{%- endmacro %}

{#- Whether a scorecard period has ended by the as-of day (mart_factory_scorecard.is_period_complete). -#}
{% macro scorecard_period_complete(period_end) -%}
    ({{ period_end }} <= {{ as_of_date() }})
{%- endmacro %}

{#- Pre-hook of mart_factory_scorecard: the periods (grain, start) this run re-computes, kept in a temp table the
    model reads. A period is re-computed when fct_deliveries has a row in it newer than the scorecard (a run
    (re)wrote it: new, changed, or moved there), when its delivery count differs from the scorecard's (a delivery
    left it or was deleted: without a newer row in the period, its count drops), or when its is_period_complete
    or a factory name no longer holds. Ranks are per period over all factories, so the whole period is
    re-computed; the period right after each one too (its previous_rank). -#}
{% macro scorecard_save_recomputed_periods() -%}
    create or replace temp table mart_factory_scorecard__recomputed as
    with deliveries as (

        select
            cast(date_trunc('month', delivered_date) as date) as month_start,
            cast(date_trunc('week', delivered_date) as date) as week_start,
            processed_at > (select coalesce(max(processed_at), '-infinity'::timestamp) from {{ this }}) as is_newer
        from {{ ref('fct_deliveries') }}

    ),

    current_periods as (

        select
            case when grouping(month_start) = 0 then 'month' else 'week' end as period_grain,
            coalesce(month_start, week_start) as period_start,
            count(*) as deliveries_count,
            bool_or(is_newer) as has_newer_deliveries
        from deliveries
        group by grouping sets ((month_start), (week_start))

    ),

    kept_periods as (

        select
            kept.period_grain,
            kept.period_start,
            sum(kept.deliveries_count) as deliveries_count,
            bool_or(
                kept.is_period_complete is distinct from {{ scorecard_period_complete('kept.period_end') }}
                or kept.factory_name is distinct from factories.factory_name
            ) as is_stale
        from {{ this }} as kept
        left join {{ ref('stg_shop__factories') }} as factories
            on kept.factory_id = factories.factory_id
        group by kept.period_grain, kept.period_start

    ),

    changed as (

        select coalesce(current_periods.period_grain, kept_periods.period_grain) as period_grain,
            coalesce(current_periods.period_start, kept_periods.period_start) as period_start
        from current_periods
        full join kept_periods
            on current_periods.period_grain = kept_periods.period_grain
            and current_periods.period_start = kept_periods.period_start
        where current_periods.has_newer_deliveries
            or current_periods.deliveries_count is distinct from kept_periods.deliveries_count
            or kept_periods.is_stale

    )

    select period_grain, period_start from changed
    union
    select
        period_grain,
        case period_grain
            when 'month' then cast(period_start + interval 1 month as date)
            else period_start + 7
        end as period_start
    from changed
{%- endmacro %}

{#- Pre-hook of mart_factory_scorecard, after the one above: delete the periods to re-compute (a period left with no
    delivery is thus gone); the model appends them again. -#}
{% macro scorecard_forget_recomputed_periods() -%}
    delete from {{ this }}
    where (period_grain, period_start) in (select period_grain, period_start from mart_factory_scorecard__recomputed)
{%- endmacro %}

{#- Each factory's first delivery week up to the as-of day: week_number 1 of int_factory_weeks. -#}
{% macro factory_first_weeks() -%}
    select
        factory_id,
        cast(date_trunc('week', min(delivered_date)) as date) as first_week_start
    from {{ ref('fct_deliveries') }}
    where delivered_date <= {{ as_of_date() }}
    group by factory_id
{%- endmacro %}

{#- Pre-hook of int_factory_weeks: per factory, its first delivery week and the first week this run re-computes,
    kept in a temp table the model reads. A factory's weeks are re-computed
      - from the running week of the previous run (its max evaluated_date): the weeks since, and the one the
        as-of day moved through, for every factory;
      - from its earliest week with a delivery newer than this table (a run (re)wrote it: new, changed, or moved
        there), or whose delivery count differs from the one kept (a delivery left it or was deleted). Counts are
        compared factory by factory only in the weeks with a newer delivery or a changed total: a delivery can
        only leave a week unnoticed by the week's total if a newer one came in.
    No rule is needed for a new factory or a moved first delivery week (week_number 1): that happens only when a
    delivery comes in on or before it (a newer delivery there, or the as-of day passing it) or the first week's
    deliveries leave (a count change there), so the rules above re-compute all the factory's weeks, week numbers
    included; the forget hook deletes the weeks before a first week that moved on.
    A week's recent and baseline windows reach supply_alert_recent_weeks + supply_alert_baseline_weeks - 1 weeks
    back; the model reads those weeks again, and writes from the first re-computed week to the as-of week. -#}
{% macro factory_weeks_save_recomputed() -%}
    create or replace temp table int_factory_weeks__recomputed as
    with previous_run as (

        select
            cast(date_trunc('week', max(evaluated_date)) as date) as running_week_start,
            coalesce(max(processed_at), '-infinity'::timestamp) as processed_at
        from {{ this }}

    ),

    deliveries as (

        select
            factory_id,
            cast(date_trunc('week', delivered_date) as date) as week_start,
            processed_at > (select processed_at from previous_run) as is_newer
        from {{ ref('fct_deliveries') }}
        where delivered_date <= {{ as_of_date() }}

    ),

    checked_weeks as (

        select coalesce(current_weeks.week_start, kept_weeks.week_start) as week_start
        from (
            select
                week_start,
                count(*) as deliveries_count,
                bool_or(is_newer) as has_newer
            from deliveries
            group by week_start
        ) as current_weeks
        full join (
            select
                week_start,
                sum(deliveries_count) as deliveries_count
            from {{ this }}
            group by week_start
        ) as kept_weeks
            on current_weeks.week_start = kept_weeks.week_start
        where
            current_weeks.has_newer
            or current_weeks.deliveries_count is distinct from kept_weeks.deliveries_count

    ),

    changed_factory_weeks as (

        select
            factory_id,
            week_start
        from deliveries
        where is_newer

        union all

        select
            coalesce(current_counts.factory_id, kept_counts.factory_id) as factory_id,
            coalesce(current_counts.week_start, kept_counts.week_start) as week_start
        from (
            select
                factory_id,
                week_start,
                count(*) as deliveries_count
            from deliveries
            where week_start in (select week_start from checked_weeks)
            group by factory_id, week_start
        ) as current_counts
        full join (
            select
                factory_id,
                week_start,
                deliveries_count
            from {{ this }}
            where deliveries_count > 0 and week_start in (select week_start from checked_weeks)
        ) as kept_counts
            on
                current_counts.factory_id = kept_counts.factory_id
                and current_counts.week_start = kept_counts.week_start
        where current_counts.deliveries_count is distinct from kept_counts.deliveries_count

    ),

    first_changed_weeks as (

        select
            factory_id,
            min(week_start) as week_start
        from changed_factory_weeks
        group by factory_id

    ),

    -- factory_first_weeks(), from the scan above instead of a second one of fct_deliveries
    first_weeks as (

        select
            factory_id,
            min(week_start) as first_week_start
        from deliveries
        group by factory_id

    )

    select
        first_weeks.factory_id,
        first_weeks.first_week_start,
        -- least() and greatest() skip nulls (no change, or no previous run)
        greatest(
            first_weeks.first_week_start,
            least((select running_week_start from previous_run), first_changed_weeks.week_start)
        ) as from_week_start
    from first_weeks
    left join first_changed_weeks
        on first_weeks.factory_id = first_changed_weeks.factory_id
{%- endmacro %}

{#- Pre-hook of int_factory_weeks, after the one above: delete each factory's weeks from its first re-computed one,
    its weeks before its first delivery week (that week moved on), and the weeks of factories left with no
    delivery; the model appends the re-computed ones again. The rows are picked by a left join and deleted by
    rowid: DuckDB plans a DELETE with a correlated NOT EXISTS on a range far worse (6.3 s in a TPC-H SF10 daily
    run against 0.2 s for this, 34 M rows). -#}
{% macro factory_weeks_forget_recomputed() -%}
    delete from {{ this }}
    where rowid in (
        select kept.rowid
        from {{ this }} as kept
        left join int_factory_weeks__recomputed as recomputed
            on kept.factory_id = recomputed.factory_id
        -- not kept: no row in int_factory_weeks__recomputed, or a week outside [first_week_start, from_week_start)
        where not coalesce(
            kept.week_start >= recomputed.first_week_start and kept.week_start < recomputed.from_week_start, false
        )
    )
{%- endmacro %}
