-- One row per factory delivery, scored on timeliness, quantity and incoming quality.
-- Incremental (delete+insert on delivery_id): each run re-processes every delivery of the purchase orders that got a
-- delivery, inspection or PO row in the last `incremental_lookback_days` days before the latest partition already
-- loaded (or since the earliest day this run loaded, for a late file or a backfill), so PO-level facts (is_in_full) of earlier part-deliveries stay equal to a full rebuild.
-- Also re-processed: the POs of kept deliveries from those days (a corrected file may have dropped a delivery or an
-- inspection) and of kept deliveries re-sent against another PO; the post-hook deletes the deliveries of those days
-- gone from staging (or whose PO is), which delete+insert alone would keep (deliveries_forget_gone()). Not
-- followed: an inspection re-sent against another delivery leaves the old delivery's counts until it is
-- re-processed for another reason or a full build.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='delivery_id',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}{{ deliveries_save_reprocess_from() }}{% endif %}",
        post_hook="{% if is_incremental() %}{{ deliveries_forget_gone() }}{% endif %}"
    )
}}

with

{% if is_incremental() %}
reprocess_window as (

    -- saved by the pre-hook (deliveries_save_reprocess_from()), read by the post-hook too
    select reprocess_from_date from fct_deliveries__reprocess_from

),

changed_purchase_orders as (

    select po_id
    from {{ ref('stg_shop__deliveries') }}
    where partition_date >= (select reprocess_from_date from reprocess_window)

    union

    select po_id
    from {{ ref('stg_shop__purchase_orders') }}
    where partition_date >= (select reprocess_from_date from reprocess_window)

    union

    select kept.po_id
    from {{ this }} as kept
    where kept.loaded_partition_date >= (select reprocess_from_date from reprocess_window)

    union

    -- the kept PO of a delivery with a new inspection, and of a delivery sent again (maybe against another PO: the
    -- old PO loses the part). Kept rows hold each delivery's PO as of the last run, which staging had then; a
    -- delivery that got another PO since is in the window above with its new PO, and one not kept yet is in the
    -- window itself, or its PO is, or it has no PO to be joined with. One scan of the kept deliveries instead of
    -- two of 58 M-row tables (the select on a TPC-H SF10 build: 10.5 -> 8.7-9.4 s, the same rows).
    select kept.po_id
    from {{ this }} as kept
    semi join (
        select delivery_id from {{ ref('stg_shop__inspections') }}
        where partition_date >= (select reprocess_from_date from reprocess_window)
        union
        select delivery_id from {{ ref('stg_shop__deliveries') }}
        where partition_date >= (select reprocess_from_date from reprocess_window)
    ) as recent on kept.delivery_id = recent.delivery_id

),
{% endif %}

deliveries as (

    select * from {{ ref('stg_shop__deliveries') }}
    {% if is_incremental() %}
    where po_id in (select po_id from changed_purchase_orders)
    {% endif %}

),

purchase_orders as (

    select * from {{ ref('stg_shop__purchase_orders') }}

),

inspections_by_delivery as (

    select
        delivery_id,
        min(inspected_date) as first_inspected_date,
        cast(sum(inspected_qty) as bigint) as inspected_units,
        cast(sum(passed_qty) as bigint) as passed_units,
        max(partition_date) as partition_date
    from {{ ref('stg_shop__inspections') }}
    {% if is_incremental() %}
    where delivery_id in (select delivery_id from deliveries)
    {% endif %}
    group by delivery_id

),

po_delivered_totals as (

    select
        po_id,
        cast(sum(quantity) as bigint) as po_delivered_units
    from deliveries
    group by po_id

),

joined as (

    select
        deliveries.delivery_id,
        deliveries.po_id,
        purchase_orders.factory_id,
        purchase_orders.sku,
        purchase_orders.ordered_date,
        purchase_orders.promised_date,
        deliveries.delivered_date,
        inspections_by_delivery.first_inspected_date,
        deliveries.delivered_date - purchase_orders.promised_date as days_late,
        purchase_orders.quantity as ordered_units,
        deliveries.quantity as delivered_units,
        po_delivered_totals.po_delivered_units,
        coalesce(inspections_by_delivery.inspected_units, 0) as inspected_units,
        coalesce(inspections_by_delivery.passed_units, 0) as passed_units,
        deliveries.delivered_date - purchase_orders.ordered_date as lead_time_days,
        greatest(deliveries.partition_date, coalesce(inspections_by_delivery.partition_date, deliveries.partition_date))
            as loaded_partition_date
    from deliveries
    join purchase_orders
        on deliveries.po_id = purchase_orders.po_id
    join po_delivered_totals
        on deliveries.po_id = po_delivered_totals.po_id
    left join inspections_by_delivery
        on deliveries.delivery_id = inspections_by_delivery.delivery_id

),

flagged as (

    select
        *,
        {{ supply_is_on_time('days_late') }} as is_on_time,
        po_delivered_units >= ordered_units as is_in_full,
        passed_units / nullif(inspected_units, 0) as pass_rate
    from joined

)

select
    delivery_id,
    po_id,
    factory_id,
    sku,
    ordered_date,
    promised_date,
    delivered_date,
    first_inspected_date,
    days_late,
    is_on_time,
    ordered_units,
    delivered_units,
    po_delivered_units,
    is_in_full,
    is_on_time and is_in_full as is_otif,
    inspected_units > 0 as is_inspected,
    inspected_units,
    passed_units,
    pass_rate,
    1000000.0 * (inspected_units - passed_units) / nullif(inspected_units, 0) as defect_ppm,
    lead_time_days,
    {{ supply_score('is_on_time', 'is_in_full', 'pass_rate') }} as delivery_score,
    loaded_partition_date,
    -- when this run (re)wrote the row: the downstream incremental marts re-compute the periods of newer rows
    {{ run_started_at_utc() }} as processed_at
from flagged
