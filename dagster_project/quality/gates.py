"""The quality gates: which check guards which asset, and what data each one sees.

Two kinds, both blocking Dagster asset checks (defs/quality/checks.py):

* raw gates, per raw table, on the latest load: row accounting (rows in = loaded + quarantined), the quarantine
  tolerance (settings.QUARANTINE_TOLERANCE) and a GX suite over a per-day SQL profile of the load (schema, keys,
  value ranges, timestamps not in the future, volume against the previous 28 days). Failing any of them stops dbt.
* mart gates: a GX suite per published mart (ranges, allowed values, rules across columns and rows) and
  reconciliation totals between marts. Failing any of them stops the publish. A mart's keys (unique, not null, ranks
  1..n) are its dbt tests alone (dbt/models/marts/*/_*__models.yml): they fail with error severity, which makes them
  blocking checks of the same run, so no gate counts them again.

Each GX gate's expectations live in expectations/gx/expectations/<name>.json (written by
`python -m dagster_project.quality.suites`); this file only says what data a suite sees. Queries return an
aggregate or the few columns a suite needs, so GX never pulls a whole fact table into pandas: row-level rules run
in SQL (warehouse/rules.py, dbt tests), GX checks shapes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from dagster_project.settings import REPO_ROOT, SettingsError, load_settings
from dagster_project.sources.contract import RAW_TABLES, RawTable
from dagster_project.warehouse.rules import FUTURE_SLACK_DAYS, NON_NEGATIVE, POSITIVE_QUANTITIES, PRICES
from dagster_project.warehouse.rules import quote_identifier as _q

VOLUME_BASELINE_DAYS = 28  # a day's volume is compared with the mean of this many previous days of the load
VOLUME_MIN_BASELINE_ROWS = 20  # below this daily mean the comparison is noise and is skipped (ratio null)
# Campaign days (1111, 1212, 618) legitimately run up to ~24x a normal day's sign-ups and ~13x its orders
# (measured at SCALE=1); the gate is for collapses (a missing export) and explosions (a file loaded 100 times).
VOLUME_RATIO_RANGE = (0.05, 50.0)
# Only event tables get the volume check. Dimension tables are partitioned by the day a row first appears (sign-up,
# launch, onboarding): their daily volume legitimately falls towards zero as an export ages (Online Retail's new
# SKUs per day drop to 2% of the first weeks' within 20 days).
VOLUME_CHECKED_TABLES = (
    "orders",
    "order_items",
    "purchase_orders",
    "deliveries",
    "inspections",
    "material_purchases",
    "contact_log",
)


@dataclass(frozen=True)
class Gate:
    name: str  # suite, validation definition and checkpoint name
    asset_key: tuple[str, ...]  # the Dagster asset whose blocking check this is
    query: str  # runs on the build database (named parameters: $load_id); its result is what the suite sees
    description: str
    parameters: tuple[str, ...] = field(default=())  # suite parameters the check passes at run time
    # an incremental mart's gate: its query (over _written(...)) sees $tested_through, the gate's mark (run_mart_gate
    # in defs/quality/checks.py), and profiles only the groups holding a row written after it. Only for groups no
    # deletion can break: a scorecard period is written and deleted whole; a delivery gone from a month leaves that
    # month's checks true.
    stamped: bool = False
    # a stamped gate's other inputs (SQL, e.g. a seed the checks compare with): its result is part of the mark's
    # fingerprint, so a changed seed makes the gate profile every group again, as a changed query or suite does
    compared_with: str = ""
    # a stamped gate's bounds on the rows it profiles (_written(..., within=...)): SQL of one row, the lowest and
    # highest value of the `within` column in the groups written after $tested_through (NULL: no bound), passed to
    # the query as $low and $high. Worked out first, so they reach the query as constants: DuckDB then filters the
    # scan by them and reads a row's other columns only where they hold, where the join on the written groups alone
    # reads every column of every row (TPC-H SF10's fct_deliveries gate, 1 month of 80 written: 2.7 -> 1.1-1.3 s
    # warm; bounds from a subquery in the same query: 2.2-3.1 s; docs/bench-log.md, "The daily run's Parquet files and
    # the deliveries gate bounded")
    bounds: str = ""

    def frame(self, con: Any, params: dict | None = None, tested_through: dt.datetime | None = None) -> Any:
        """What the suite sees, as a pandas frame: `con` is a DuckDB connection to the build database; a stamped
        gate profiles the groups written after `tested_through` (None: every group)."""
        stamp = {"tested_through": tested_through} if self.stamped else {}
        if self.bounds:
            low, high = con.execute(self.bounds, stamp).fetchone()
            stamp |= {"low": low, "high": high}
        return con.execute(self.query, {**(params or {}), **stamp}).df()


def raw_schema_signature(table: RawTable) -> str:
    """The raw table's columns as the build database must report them (contract + load metadata)."""
    from dagster_project.warehouse.raw import META_COLUMNS

    return ", ".join([f"{c.name} {c.type}" for c in table.columns] + [f"{n} {t}" for n, t in META_COLUMNS])


def raw_profile_columns(table: RawTable) -> dict[str, str]:
    """Profile column -> SQL aggregate over one partition day of the load."""
    columns = {
        "rows_loaded": "count(*)",
        "null_keys": "count(*) filter (where " + " or ".join(f"{_q(k)} is null" for k in table.key) + ")",
        "duplicate_keys": "count(*) - count(distinct (" + ", ".join(_q(k) for k in table.key) + "))",
    }
    for group in (POSITIVE_QUANTITIES, PRICES, NON_NEGATIVE):
        for name in group.get(table.name, ()):
            columns[f"min_{name}"] = f"min({_q(name)})::double"
    if table.date_column is not None:
        columns["max_event_at"] = f"max({_q(table.date_column)})::timestamp"
    return columns


def raw_gate(table: RawTable) -> Gate:
    profile = ",\n".join(f"{sql} as {name}" for name, sql in raw_profile_columns(table).items())
    query = f"""
        with load_rows as (
            select * from raw.{table.name} where _load_id = $load_id
        ),
        daily as (
            select
                _partition_date::timestamp as partition_date,
                {profile}
            from load_rows
            group by _partition_date
        ),
        with_baseline as (
            select
                *,
                avg(rows_loaded) over previous_days as baseline_rows,
                count(*) over previous_days as baseline_days
            from daily
            window previous_days as (
                order by partition_date rows between {VOLUME_BASELINE_DAYS} preceding and 1 preceding
            )
        )
        select
            * exclude (baseline_rows, baseline_days),
            case
                when baseline_days >= 7 and baseline_rows >= {VOLUME_MIN_BASELINE_ROWS}
                    then rows_loaded / baseline_rows
            end as volume_ratio,
            (
                select (rows_quarantined + coalesce(rows_set_aside, 0))
                    / greatest(rows_in + coalesce(rows_set_aside, 0), 1)
                from meta.load_history
                where load_id = $load_id and table_name = '{table.name}'
            ) as quarantined_share,
            (
                select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position)
                from information_schema.columns
                where table_schema = 'raw' and table_name = '{table.name}'
            ) as raw_schema
        from with_baseline
        order by partition_date
    """
    return Gate(
        name=f"raw_{table.name}",
        asset_key=("raw", table.name),
        query=query,
        description=f"Latest load of raw.{table.name}: schema, keys, ranges, no future timestamps, daily volume",
        parameters=("quarantine_tolerance", "max_event_at") if table.date_column else ("quarantine_tolerance",),
    )


def max_event_at(last_day: dt.date) -> dt.datetime:
    """Latest event time a load of [.., last_day] may hold (same slack as the quarantine's future rule)."""
    return dt.datetime.combine(last_day + dt.timedelta(days=FUTURE_SLACK_DAYS + 1), dt.time())


RAW_GATES: tuple[Gate, ...] = tuple(raw_gate(table) for table in RAW_TABLES.values())

# --- mart gates -------------------------------------------------------------------------------------------------
# Business thresholds are dbt vars (dbt/dbt_project.yml) and are never repeated here. A threshold a mart must respect
# (SMS cap, loyal discount cap, tier scores, ...) is compared in the gate's query with this run's effective value
# (dbt_project.yml + DBT_VARS, what dbt itself gets), so the suite only expects "0 violations" and a DBT_VARS
# override never trips a gate. Value sets (segments, tiers, reasons) are written into the suites by suites.py from
# dbt_project.yml and the seed: after changing those, regenerate the suites.

DBT_PROJECT = REPO_ROOT / "dbt" / "dbt_project.yml"
RFM_SEGMENTS_SEED = REPO_ROOT / "dbt" / "seeds" / "rfm_segments.csv"


def dbt_vars(run_overrides: bool = True) -> dict[str, Any]:
    """The dbt vars of dbt/dbt_project.yml, with this run's DBT_VARS on top (unless run_overrides=False)."""
    import yaml

    values = dict(yaml.safe_load(DBT_PROJECT.read_text())["vars"])
    if run_overrides:
        try:
            overrides = load_settings().dbt_vars
        except SettingsError:  # the CLI rejects a bad setting, with its message, before any gate runs
            overrides = None
        values.update(json.loads(overrides) if overrides else {})
    return values


def rfm_segment_names() -> list[str]:
    """Segment names of the seed dbt/seeds/rfm_segments.csv, in file order."""
    with RFM_SEGMENTS_SEED.open(newline="") as seed:
        return [row["segment"] for row in csv.DictReader(seed)]


def purchase_tier_labels(lower_bounds: list[int]) -> list[str]:
    """'1', '2', '3-4', '5-9', '10+' from var purchase_tier_lower_bounds (the macro customer_purchase_tier_labels)."""
    bounds = sorted(lower_bounds)
    labels = [f"{bounds[-1]}+"]
    for lower, upper in zip(bounds, bounds[1:], strict=False):
        labels.insert(-1, str(lower) if upper - 1 == lower else f"{lower}-{upper - 1}")
    return labels


def _sql_strings(values: list[str]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _supply_tier_sql(score: str, v: dict[str, Any]) -> str:
    """The tier a score must carry (the macro supply_tier, thresholds from the effective vars)."""
    return (
        f"case when {score} >= {float(v['supply_tier_preferred_min_score'])} then 'Preferred' "
        f"when {score} >= {float(v['supply_tier_acceptable_min_score'])} then 'Acceptable' else 'Developmental' end"
    )


AS_OF = "(select max(as_of_date) from raw.run_context)"  # the build's as-of day, as dbt's as_of_date() macro


def _customer_mart_gates(v: dict[str, Any]) -> tuple[Gate, ...]:
    return (
        Gate(
            name="marts_mart_customer_rfm",
            asset_key=("marts", "mart_customer_rfm"),
            # a snapshot is written and deleted whole; the current one is always profiled (a mart without one has
            # no row here and fails the row count)
            stamped=True,
            compared_with="select * from seeds.rfm_segments order by all",
            query=f"""
                with rfm as {_written("marts.mart_customer_rfm", "snapshot_date", always="is_current")}
                select
                    rfm.snapshot_date,
                    rfm.segment,
                    count(*) as customers,
                    min(least(rfm.r_score, rfm.f_score, rfm.m_score)) as min_score,
                    max(greatest(rfm.r_score, rfm.f_score, rfm.m_score)) as max_score,
                    min(rfm.recency_days) as min_recency_days,
                    min(rfm.frequency) as min_frequency,
                    min(rfm.monetary)::double as min_monetary,
                    count(*) filter (
                        where rfm.rfm_cell
                            is distinct from rfm.r_score::varchar || rfm.f_score::varchar || rfm.m_score::varchar
                    ) as rfm_cell_mismatches,
                    count(*) filter (
                        where not (rfm.r_score between seed.r_score_min and seed.r_score_max
                            and rfm.f_score between seed.f_score_min and seed.f_score_max)
                    ) as segment_mismatches,
                    count(*) filter (
                        where rfm.is_current is distinct from (rfm.snapshot_date = {AS_OF})
                            or rfm.is_month_end is distinct from (rfm.snapshot_date = last_day(rfm.snapshot_date))
                    ) as snapshot_flag_mismatches,
                    (select count(distinct snapshot_date) from marts.mart_customer_rfm where is_current)
                        as current_snapshots
                from rfm
                left join seeds.rfm_segments as seed on rfm.segment = seed.segment
                group by rfm.snapshot_date, rfm.segment
                order by all
            """,
            description="Per snapshot and segment (the current snapshot and those written since the gate last "
            "passed): segment from the seed and matching its R/F ranges, scores 1-5, rfm_cell = R||F||M, one current "
            "snapshot (the as-of day).",
        ),
        Gate(
            name="marts_mart_rfm_segments",
            asset_key=("marts", "mart_rfm_segments"),
            query="""
                select
                    snapshot_date,
                    segment,
                    is_current,
                    customers,
                    customer_share_rate,
                    revenue_share_rate,
                    least(avg_r_score, avg_f_score, avg_m_score) as min_avg_score,
                    greatest(avg_r_score, avg_f_score, avg_m_score) as max_avg_score,
                    sum(customer_share_rate) over snapshot as snapshot_customer_share,
                    sum(revenue_share_rate) over snapshot as snapshot_revenue_share,
                    (select count(distinct snapshot_date) from marts.mart_rfm_segments where is_current)
                        as current_snapshots
                from marts.mart_rfm_segments
                window snapshot as (partition by snapshot_date)
                order by snapshot_date, segment
            """,
            description="Segment from the seed, shares in [0, 1] adding up to 1 per snapshot, average scores 1-5, "
            "one current snapshot.",
        ),
        Gate(
            name="marts_mart_segment_migration",
            asset_key=("marts", "mart_segment_migration"),
            query="""
                select
                    from_snapshot_date,
                    to_snapshot_date,
                    from_segment,
                    to_segment,
                    customers,
                    from_segment_share_rate,
                    (to_snapshot_date <= from_snapshot_date)::int as snapshot_order_mismatches,
                    (is_same_segment is distinct from (from_segment = to_segment))::int as same_segment_mismatches,
                    sum(from_segment_share_rate) over (partition by to_snapshot_date, from_segment)
                        as from_segment_share
                from marts.mart_segment_migration
                order by to_snapshot_date, from_segment, to_segment
            """,
            description="Segments from the seed (or '(new)'), customers >= 1, shares in [0, 1] adding up to 1 per "
            "from-segment, from-snapshot before to-snapshot.",
        ),
        Gate(
            name="marts_mart_repurchase_cycle",
            asset_key=("marts", "mart_repurchase_cycle"),
            query="""
                select
                    dimension,
                    dimension_value,
                    case when dimension = 'purchase_tier' then dimension_value end as purchase_tier,
                    gaps_count,
                    least(p25_days, median_days, p75_days, p90_days, mean_days) as min_days,
                    (not (p25_days <= median_days and median_days <= p75_days and p75_days <= p90_days))::int
                        as percentile_order_mismatches,
                    count(*) filter (where dimension = 'overall') over () as overall_rows
                from marts.mart_repurchase_cycle
                order by dimension, dimension_value
            """,
            description="One overall row; dimension and purchase tiers allowed values; days >= 0 and p25 <= median "
            "<= p75 <= p90.",
        ),
        Gate(
            name="marts_mart_cohort_retention",
            asset_key=("marts", "mart_cohort_retention"),
            query="""
                select
                    cohort_month,
                    cohort_type,
                    months_since_first_order,
                    cohort_customers,
                    active_customers,
                    retention_rate,
                    orders_count,
                    revenue::double as revenue,
                    cumulative_revenue_per_customer::double as cumulative_revenue_per_customer,
                    least(second_order_30d_rate, second_order_60d_rate, second_order_90d_rate,
                        second_order_365d_rate) as min_second_order_rate,
                    greatest(second_order_30d_rate, second_order_60d_rate, second_order_90d_rate,
                        second_order_365d_rate) as max_second_order_rate,
                    (active_customers > cohort_customers or orders_count < active_customers
                        or (months_since_first_order = 0 and active_customers <> cohort_customers))::int
                        as customer_count_mismatches,
                    (second_order_30d_rate > second_order_60d_rate or second_order_60d_rate > second_order_90d_rate
                        or second_order_90d_rate > second_order_365d_rate)::int as window_order_mismatches
                from marts.mart_cohort_retention
                order by all
            """,
            description="Cohort type deep_discount/regular; retention and second-order rates in [0, 1] and growing "
            "with the window; active <= cohort, all active in month 0.",
        ),
        Gate(
            name="marts_mart_daily_kpis",
            asset_key=("marts", "mart_daily_kpis"),
            query=f"""
                select
                    kpi_date,
                    kpi_date - lag(kpi_date) over (order by kpi_date) as days_since_previous_row,
                    least(orders_count, cancelled_orders, refunded_orders, new_customers, returning_customers)
                        as min_count,
                    least(revenue, new_revenue, returning_revenue)::double as min_revenue,
                    (revenue - new_revenue - returning_revenue)::double as revenue_split_difference,
                    least(avg_order_value, new_avg_order_value, returning_avg_order_value)::double as min_aov,
                    returning_revenue_share_rate,
                    (select max(kpi_date) from marts.mart_daily_kpis) = {AS_OF} as ends_on_as_of_date
                from marts.mart_daily_kpis
                order by kpi_date
            """,
            description="Days without gaps up to the as-of day; counts and revenue >= 0; new + returning revenue = "
            "revenue; returning share in [0, 1].",
        ),
        Gate(
            name="marts_mart_outreach_candidates",
            asset_key=("marts", "mart_outreach_candidates"),
            query=f"""
                select
                    outreach_reason,
                    suggested_channel,
                    is_loyal,
                    purchase_tier,
                    lifecycle_stage,
                    rfm_segment,
                    spend_level,
                    count(*) as candidates,
                    min(max_discount_rate) as min_discount_rate,
                    max(max_discount_rate) as max_discount_rate,
                    count(*) filter (
                        where is_loyal and max_discount_rate > {float(v["outreach_loyal_max_discount_rate"])}
                    ) as loyal_discount_above_cap,
                    count(*) filter (
                        where is_loyal is distinct from
                            (purchase_tier in ({_sql_strings(v["outreach_loyal_tiers"])}))
                    ) as loyal_flag_mismatches,
                    count(*) filter (
                        where suggested_channel = 'sms' and recent_sms_count + 1 > {int(v["outreach_sms_cap"])}
                    ) as sms_above_cap,
                    count(*) filter (
                        where days_since_last_contact < {int(v["outreach_min_days_since_contact"])}
                    ) as contacted_too_recently,
                    count(*) filter (where as_of_date is distinct from {AS_OF}) as as_of_date_mismatches
                from marts.mart_outreach_candidates
                group by all
                order by all
            """,
            description="Per reason/channel/tier/stage/segment: allowed values; the as-of day; "
            "discount in [0, 1] and <= the loyal cap for loyal tiers; no SMS beyond the cap; nobody contacted within "
            "outreach_min_days_since_contact (thresholds: this run's dbt vars).",
        ),
    )


def _playbook_mart_gates(v: dict[str, Any]) -> tuple[Gate, ...]:
    """The CRM playbook marts (dbt/models/marts/customer/playbook): what dbt's column tests cannot say, across
    columns and rows, on a profile per group (never every contact)."""
    return (
        Gate(
            name="marts_mart_contact_effectiveness",
            asset_key=("marts", "mart_contact_effectiveness"),
            query=f"""
                select
                    sent_week,
                    channel,
                    count(*) as contacts,
                    min(attributed_orders) as min_attributed_orders,
                    min(attributed_revenue)::double as min_attributed_revenue,
                    min(days_to_next_order) as min_days_to_next_order,
                    -- a credited order is a paid order within the window: its contact converted
                    count(*) filter (where attributed_orders > 0 and not is_converted) as credited_not_converted,
                    count(*) filter (where attributed_orders > 0 is distinct from attributed_revenue > 0)
                        as credit_revenue_mismatches,
                    count(*) filter (
                        where is_converted is distinct from
                            coalesce(days_to_next_order <= {int(v["contact_conversion_window_days"])}, false)
                    ) as conversion_mismatches,
                    count(*) filter (where breaks_sms_cap and channel <> 'sms') as non_sms_cap_breaches,
                    count(*) filter (where sent_date > as_of_date or as_of_date is distinct from {AS_OF})
                        as as_of_date_mismatches
                from marts.mart_contact_effectiveness
                group by all
                order by all
            """,
            description="Per sent week and channel: credits and revenue >= 0, a credited contact converted, "
            "conversion = next paid order within contact_conversion_window_days, cap breaches only on SMS, nothing "
            "sent after the as-of day.",
        ),
        Gate(
            name="marts_mart_contact_effectiveness_weekly",
            asset_key=("marts", "mart_contact_effectiveness_weekly"),
            query="""
                with contacts as (
                    select
                        count(*) as contacts,
                        sum(attributed_orders) as attributed_orders,
                        sum(attributed_revenue) as attributed_revenue,
                        count(*) filter (where breaks_sms_cap) as sms_cap_breaches
                    from marts.mart_contact_effectiveness
                ),
                weekly as (
                    select
                        sum(contacts) as contacts,
                        sum(attributed_orders) as attributed_orders,
                        sum(attributed_revenue) as attributed_revenue,
                        sum(sms_cap_breaches) as sms_cap_breaches,
                        min(conversion_rate) as min_conversion_rate,
                        max(conversion_rate) as max_conversion_rate,
                        count(*) filter (
                            where not (converted_customers <= converted_contacts
                                and converted_contacts <= complete_contacts
                                and complete_contacts <= contacts
                                and customers_contacted <= contacts)
                        ) as count_order_mismatches
                    from marts.mart_contact_effectiveness_weekly
                )
                select
                    weekly.contacts - contacts.contacts as contacts_difference,
                    weekly.attributed_orders - contacts.attributed_orders as attributed_orders_difference,
                    (weekly.attributed_revenue - contacts.attributed_revenue)::double as attributed_revenue_difference,
                    weekly.sms_cap_breaches - contacts.sms_cap_breaches as sms_cap_breaches_difference,
                    weekly.min_conversion_rate,
                    weekly.max_conversion_rate,
                    weekly.count_order_mismatches
                from weekly, contacts
            """,
            description="The weekly rollup adds up to mart_contact_effectiveness (contacts, credited orders and "
            "revenue, cap breaches); conversion rate in [0, 1]; buyers <= converted <= complete <= sent.",
        ),
        Gate(
            name="marts_mart_discount_governance",
            asset_key=("marts", "mart_discount_governance"),
            query=f"""
                select
                    tier_at_order,
                    campaign_code,
                    count(*) as orders,
                    min(discount_rate) as min_discount_rate,
                    max(discount_rate) as max_discount_rate,
                    count(*) filter (where gross_amount - discount_amount <> net_amount) as amount_mismatches,
                    count(*) filter (
                        where is_loyal_at_order is distinct from
                            coalesce(tier_at_order in ({_sql_strings(v["outreach_loyal_tiers"])}), false)
                    ) as loyal_flag_mismatches,
                    count(*) filter (
                        where breaks_loyal_cap is distinct from (is_loyal_at_order and discount_amount
                            > round(gross_amount * {float(v["outreach_loyal_max_discount_rate"])}, 2))
                    ) as cap_flag_mismatches
                from marts.mart_discount_governance
                group by all
                order by all
            """,
            description="Per tier at order and campaign: discount rate in [0, 1], gross - discount = net, the loyal "
            "flag from outreach_loyal_tiers, a cap breach = a loyal order above outreach_loyal_max_discount_rate.",
        ),
        Gate(
            name="marts_mart_discount_share",
            asset_key=("marts", "mart_discount_share"),
            query="""
                select
                    dimension,
                    count(*) as dimension_values,
                    sum(units) as units,
                    sum(discount_amount)::double as discount_amount,
                    sum(discount_money_share_rate) as discount_money_share,
                    least(min(discounted_units_rate), min(discount_depth_rate), min(discount_money_share_rate))
                        as min_rate,
                    greatest(max(discounted_units_rate), max(discount_depth_rate),
                        max(discount_money_share_rate)) as max_rate,
                    count(*) filter (where discounted_units > units) as discounted_above_units,
                    -- every dimension slices the same paid lines: the totals agree with the SKU rows
                    sum(units) - first(sum(units)) over (order by dimension = 'sku' desc) as units_difference,
                    (sum(discount_amount) - first(sum(discount_amount)) over (order by dimension = 'sku' desc))::double
                        as discount_amount_difference
                from marts.mart_discount_share
                group by dimension
                order by dimension
            """,
            description="Per dimension: rates in [0, 1], discount-money shares adding up to 1, discounted units <= "
            "units, and the same units and discount money in the SKU, style and category rows.",
        ),
        Gate(
            name="marts_mart_new_sku_campaign_sales",
            asset_key=("marts", "mart_new_sku_campaign_sales"),
            query="""
                select
                    campaign_date,
                    count(*) as skus,
                    min(days_since_launch) as min_days_since_launch,
                    max(days_since_launch) as max_days_since_launch,
                    min(units) as min_units,
                    min(orders_count) as min_orders,
                    min(discount_depth_rate) as min_discount_depth_rate,
                    max(discount_depth_rate) as max_discount_depth_rate,
                    count(*) filter (where campaign_code is null) as missing_campaign_codes
                from marts.mart_new_sku_campaign_sales
                group by campaign_date
                order by campaign_date
            """,
            description="Per campaign day: SKUs launched 0..new_sku_max_age_days days before, at least one unit and "
            "order each, discount depth in [0, 1], a campaign code.",
        ),
        Gate(
            name="marts_mart_product_drops",
            asset_key=("marts", "mart_product_drops"),
            query=f"""
                with early_adoptions as (
                    -- each early adopter of a drop counts once in its row and once in their early_adopted_drops
                    select
                        (select coalesce(sum(early_adopted_drops), 0) from marts.dim_customers)
                            - (select coalesce(sum(early_adopters), 0) from marts.mart_product_drops)
                            as early_adopted_drops_difference
                )
                select
                    launch_week,
                    count(*) as drops,
                    min(skus_count) as min_skus_count,
                    min(drop_date - launch_week) as min_drop_day_in_week,
                    max(drop_date - launch_week) as max_drop_day_in_week,
                    count(*) filter (
                        where units_day_1 is null or units_day_7 is null or units_day_30 is null
                            or units_to_date is null or buyers_day_30 is null or early_adopters is null
                            or repeat_early_adopters is null or is_day_30_complete is null
                    ) as null_counts,
                    min(units_day_1) as min_units_day_1,
                    -- sales by day 1 <= day 7 <= day 30 <= to date; repeat adopters <= adopters; buyers <= units
                    count(*) filter (
                        where not (units_day_1 <= units_day_7 and units_day_7 <= units_day_30
                            and units_day_30 <= units_to_date and buyers_day_30 <= units_day_30
                            and repeat_early_adopters <= early_adopters)
                    ) as count_order_mismatches,
                    -- adopters buy in the first drop_early_adopter_days days: within day 30 when that is shorter
                    count(*) filter (
                        where {int(v["drop_early_adopter_days"])} <= 30 and early_adopters > buyers_day_30
                    ) as adopters_above_buyers,
                    count(*) filter (
                        where is_day_30_complete is distinct from (drop_date + 29 <= {AS_OF})
                    ) as day_30_flag_mismatches,
                    count(*) filter (where drop_date > {AS_OF}) as drops_after_as_of_date,
                    least(min(day_7_share_of_day_30_rate), min(repeat_early_adopter_rate)) as min_rate,
                    greatest(max(day_7_share_of_day_30_rate), max(repeat_early_adopter_rate)) as max_rate,
                    any_value(early_adopted_drops_difference)::bigint as early_adopted_drops_difference
                from marts.mart_product_drops
                cross join early_adoptions
                group by launch_week
                order by launch_week
            """,
            description="Per launch week: drops dated in their week, before the as-of day, with >= 1 SKU; units by "
            "day 1 <= 7 <= 30 <= to date; buyers <= units; repeat adopters <= adopters (<= day-30 buyers); rates in "
            "[0, 1]; is_day_30_complete from the as-of day; dim_customers.early_adopted_drops adds up to the early "
            "adopters.",
        ),
        Gate(
            name="marts_mart_campaign_notify_list",
            asset_key=("marts", "mart_campaign_notify_list"),
            query=f"""
                select
                    suggested_channel,
                    lifecycle_stage,
                    count(*) as customers,
                    count(*) filter (
                        where as_of_date is distinct from {AS_OF}
                            or next_campaign_date is distinct from (
                                select min(campaign_date) from seeds.campaign_calendar where campaign_date > {AS_OF}
                            )
                            or notify_date is distinct from next_campaign_date - {int(v["campaign_notify_days_before"])}
                            or is_notify_due is distinct from (as_of_date >= notify_date)
                    ) as campaign_day_mismatches,
                    count(*) filter (
                        where suggested_channel = 'sms' and sms_in_cap_window + 1 > {int(v["outreach_sms_cap"])}
                    ) as sms_above_cap,
                    count(*) filter (
                        where customer_id not in (select customer_id from marts.dim_customers where is_campaign_cohort)
                    ) as not_campaign_cohort
                from marts.mart_campaign_notify_list
                group by all
                order by all
            """,
            description="Per channel and stage: the next campaign of the seed after the as-of day, notified "
            "campaign_notify_days_before days ahead, due from that day; only the deep-discount cohort; sms or email, "
            "never an SMS beyond outreach_sms_cap on the notify day.",
        ),
        Gate(
            name="marts_mart_campaign_cohort_journey",
            asset_key=("marts", "mart_campaign_cohort_journey"),
            query=f"""
                select
                    campaign_code,
                    count(*) as cohorts,
                    min(cohort_customers) as min_cohort_customers,
                    count(*) filter (where cohort_date > {AS_OF}) as cohorts_after_as_of_date,
                    count(*) filter (
                        where next_full_price_orders + next_discounted_orders <> next_orders
                            or next_new_drop_orders > next_orders or next_campaign_orders > next_orders
                            or next_orders > cohort_customers
                    ) as count_mismatches,
                    least(min(next_order_rate), min(next_full_price_rate), min(next_new_drop_rate)) as min_rate,
                    greatest(max(next_order_rate), max(next_full_price_rate), max(next_new_drop_rate)) as max_rate,
                    min(median_days_to_next_order) as min_median_days_to_next_order,
                    -- every customer won on a campaign day is in exactly one cohort
                    (sum(sum(cohort_customers)) over () - (
                        select count(*) from marts.dim_customers where is_campaign_cohort
                    ))::bigint as cohort_customers_difference
                from marts.mart_campaign_cohort_journey
                group by campaign_code
                order by campaign_code
            """,
            description="Per campaign code: cohorts of >= 1 customer, none after the as-of day; full price + "
            "discounted = next orders <= cohort customers, new-drop and campaign next orders <= next orders; rates in "
            "[0, 1]; the cohorts add up to dim_customers' campaign cohort.",
        ),
    )


def _written_rows(always: str = "false") -> str:
    """SQL: a stamped mart's row was written after $tested_through (NULL: every row), or `always` holds for it."""
    return f"coalesce(processed_at > $tested_through, true) or {always}"


def _written(table: str, *groups: str, always: str = "false", within: str = "") -> str:
    """A stamped gate's rows (Gate.stamped): those of `table` in the groups (SQL expressions over its columns) that
    hold a row written after $tested_through (NULL: every group), or a row for which `always` is true. `within`: a
    column whose value in those groups lies between $low and $high (Gate.bounds; NULL: no bound)."""
    keys = ", ".join(f"{group} as written_{i}" for i, group in enumerate(groups))
    on = " and ".join(f"{group} is not distinct from written.written_{i}" for i, group in enumerate(groups))
    # without `within` nothing is added: a gate's mark holds for its query's text (a changed text profiles every group)
    bounded = f"\n                    where {within} between $low and $high or $low is null" if within else ""
    return f"""(
                    select * from {table}
                    semi join (
                        select distinct {keys} from {table}
                        where {_written_rows(always)}
                    ) as written on {on}{bounded}
                )"""


def _supply_mart_gates(v: dict[str, Any]) -> tuple[Gate, ...]:
    window_days = int(v["supply_ranking_window_days"])
    trend_change = float(v["supply_ranking_trend_min_score_change"])
    compliance_change = float(v["supply_compliance_trend_min_change"])
    month = "cast(date_trunc('month', delivered_date) as date)"
    deliveries = _written("marts.fct_deliveries", month, within="delivered_date")
    return (
        Gate(
            name="marts_fct_deliveries",
            asset_key=("marts", "fct_deliveries"),
            stamped=True,
            query=f"""
                select
                    {month} as delivered_month,
                    count(*) as deliveries,
                    min(delivered_units) as min_delivered_units,
                    min(inspected_units) as min_inspected_units,
                    count(*) filter (where passed_units > inspected_units) as passed_above_inspected,
                    min(pass_rate) as min_pass_rate,
                    max(pass_rate) as max_pass_rate,
                    min(defect_ppm) as min_defect_ppm,
                    max(defect_ppm) as max_defect_ppm,
                    min(delivery_score) as min_delivery_score,
                    max(delivery_score) as max_delivery_score,
                    min(lead_time_days) as min_lead_time_days,
                    count(*) filter (where is_otif is distinct from (is_on_time and is_in_full)) as otif_mismatches,
                    count(*) filter (
                        where is_inspected is distinct from (inspected_units > 0)
                            or (pass_rate is null) is distinct from (inspected_units = 0)
                    ) as inspection_mismatches
                from {deliveries}
                group by all
                order by all
            """,
            # the written months' first and last day (none when a written row has no delivery date)
            bounds=f"""
                select
                    case when count(*) filter (where delivered_date is null) = 0
                        then cast(date_trunc('month', min(delivered_date)) as date)
                    end,
                    last_day(max(delivered_date))
                from marts.fct_deliveries
                where {_written_rows()}
            """,
            description="Per delivery month: units > 0, passed <= inspected, pass "
            "rate in [0, 1], defect ppm in [0, 1e6], score in [0, 100], lead time >= 0, OTIF = on time and in full.",
        ),
        Gate(
            name="marts_mart_factory_scorecard",
            asset_key=("marts", "mart_factory_scorecard"),
            stamped=True,
            query=f"""
                with scorecard as {_written("marts.mart_factory_scorecard", "period_grain", "period_start")}
                select
                    scorecard.period_grain,
                    scorecard.period_start,
                    scorecard.tier,
                    count(*) as factories,
                    min(scorecard.deliveries_count) as min_deliveries_count,
                    min(least(scorecard.on_time_rate, scorecard.in_full_rate, scorecard.otif_rate,
                        scorecard.pass_rate)) as min_rate,
                    max(greatest(scorecard.on_time_rate, scorecard.in_full_rate, scorecard.otif_rate,
                        scorecard.pass_rate)) as max_rate,
                    min(scorecard.defect_ppm) as min_defect_ppm,
                    min(scorecard.score) as min_score,
                    max(scorecard.score) as max_score,
                    count(*) filter (
                        where scorecard.tier is distinct from {_supply_tier_sql("scorecard.score", v)}
                    ) as tier_mismatches,
                    count(*) filter (
                        where scorecard.otif_rate > least(scorecard.on_time_rate, scorecard.in_full_rate) + 1e-9
                    ) as otif_above_components,
                    count(*) filter (where scorecard.passed_units > scorecard.inspected_units)
                        as passed_above_inspected,
                    count(*) filter (
                        where scorecard.rank_change is distinct from scorecard.previous_rank - scorecard.rank
                            or scorecard.period_end is distinct from case scorecard.period_grain
                                when 'month' then last_day(scorecard.period_start)
                                else scorecard.period_start + 6
                            end
                    ) as derived_column_mismatches
                from scorecard
                group by scorecard.period_grain, scorecard.period_start, scorecard.tier
                order by all
            """,
            description="Per period and tier: grain month/week, tier allowed and matching the score (this run's "
            "supply_tier_* vars), rates in [0, 1], OTIF <= on time and in full, ppm >= 0, score in [0, 100].",
        ),
        Gate(
            name="marts_mart_factory_ranking",
            asset_key=("marts", "mart_factory_ranking"),
            query=f"""
                with window_deliveries as (
                    select count(*) as deliveries_count
                    from marts.fct_deliveries
                    where delivered_date > {AS_OF} - {window_days} and delivered_date <= {AS_OF}
                )
                select
                    tier,
                    trend,
                    strongest_indicator,
                    weakest_indicator,
                    least(on_time_rate, in_full_rate, otif_rate, pass_rate) as min_rate,
                    greatest(on_time_rate, in_full_rate, otif_rate, pass_rate) as max_rate,
                    defect_ppm,
                    score,
                    deliveries_count,
                    (tier is distinct from {_supply_tier_sql("score", v)})::int as tier_mismatches,
                    (trend is distinct from case
                        when previous_score is null then 'new'
                        when score - previous_score >= {trend_change} then 'improving'
                        when previous_score - score >= {trend_change} then 'declining'
                        else 'stable'
                    end)::int as trend_mismatches,
                    (otif_rate > least(on_time_rate, in_full_rate) + 1e-9)::int as otif_above_components,
                    (window_end_date is distinct from {AS_OF} or as_of_date is distinct from {AS_OF}
                        or window_start_date is distinct from {AS_OF} - {window_days - 1})::int as window_mismatches,
                    (sum(deliveries_count) over () - (select deliveries_count from window_deliveries))::bigint
                        as window_deliveries_difference
                from marts.mart_factory_ranking
                order by rank
            """,
            description="Tier and trend allowed and matching score (this run's vars), indicators allowed, rates in "
            "[0, 1], ppm >= 0, score in [0, 100], deliveries = fct_deliveries in the window.",
        ),
        Gate(
            name="marts_mart_factory_alerts",
            asset_key=("marts", "mart_factory_alerts"),
            # a profile per type, indicator, severity and status, not every alert: the table is rebuilt whole each
            # run, and GX over each of TPC-H SF10's 747 k alerts took 2-4 s of the gate's 4-6 s (docs/bench-log.md,
            # "Four mart gates profiled per group"). The pairs are one value (alert_type_indicator) so a value-set
            # check sees them.
            query=f"""
                select
                    alert_type,
                    indicator,
                    alert_type || '/' || indicator as alert_type_indicator,
                    severity,
                    status,
                    count(*) as alerts,
                    count(*) filter (
                        where status is distinct from case when closed_date is null then 'open' else 'closed' end
                    ) as status_mismatches,
                    min(case when alert_type = 'decline' then least(recent_value, baseline_value) end)
                        as min_decline_rate,
                    max(case when alert_type = 'decline' then greatest(recent_value, baseline_value) end)
                        as max_decline_rate,
                    min(case when alert_type = 'tier_floor' then recent_value end) as min_tier_floor_score,
                    max(case when alert_type = 'tier_floor' then recent_value end) as max_tier_floor_score,
                    min(breach_periods_count) as min_breach_periods_count,
                    min(deliveries_count) as min_deliveries_count,
                    count(*) filter (where value_drop <= min_drop or max_drop < value_drop) as drop_mismatches,
                    count(*) filter (
                        where closed_date < opened_date or last_breach_date < opened_date or opened_date > {AS_OF}
                    ) as date_order_mismatches,
                    count(*) filter (where severity is distinct from case
                        when max_drop >= {float(v["supply_alert_high_severity_ratio"])} * min_drop then 'high'
                        else 'medium'
                    end) as severity_mismatches
                from marts.mart_factory_alerts
                group by all
                order by all
            """,
            description="Type/indicator/severity/status allowed and consistent; rates in [0, 1], tier-floor scores in "
            "[0, 100]; drop > threshold; dates in order (a profile per type, indicator, severity and status).",
        ),
        Gate(
            name="marts_mart_supplier_scorecard",
            asset_key=("marts", "mart_supplier_scorecard"),
            query="""
                select
                    purchases_count,
                    factories_count,
                    purchased_units,
                    spend_amount::double as spend_amount,
                    on_time_rate,
                    defect_rate,
                    defective_units,
                    (factories_count > purchases_count or defective_units > purchased_units)::int
                        as count_mismatches
                from marts.mart_supplier_scorecard
                order by supplier_id, month_start
            """,
            description="Purchases, factories and units >= 1; spend >= 0; on-time and defect rates in [0, 1]; "
            "defective <= purchased units.",
        ),
        Gate(
            name="marts_mart_factory_supplier_compliance",
            asset_key=("marts", "mart_factory_supplier_compliance"),
            query=f"""
                select
                    purchases_count,
                    material_spend_amount::double as material_spend_amount,
                    designated_spend_amount::double as designated_spend_amount,
                    least(designated_spend_share, rolling_designated_spend_share, previous_designated_spend_share)
                        as min_share,
                    greatest(designated_spend_share, rolling_designated_spend_share, previous_designated_spend_share)
                        as max_share,
                    compliance_trend,
                    (designated_spend_amount > material_spend_amount)::int as designated_above_total,
                    (compliance_trend is distinct from case
                        when previous_designated_spend_share is null then null
                        when rolling_designated_spend_share - previous_designated_spend_share >= {compliance_change}
                            then 'improving'
                        when previous_designated_spend_share - rolling_designated_spend_share >= {compliance_change}
                            then 'worsening'
                        else 'stable'
                    end)::int as trend_mismatches
                from marts.mart_factory_supplier_compliance
                order by factory_id, month_start
            """,
            description="Spend >= 0 and designated <= all; shares in [0, 1]; trend allowed and matching the shares "
            "(this run's supply_compliance_trend_min_change).",
        ),
    )


def _reconciliation_gates() -> tuple[Gate, ...]:
    return (
        Gate(
            name="marts_revenue_reconciliation",
            asset_key=("marts", "mart_daily_kpis"),
            query=f"""
                with orders as (
                    select
                        cast(date_trunc('month', ordered_date) as date) as month_start,
                        count(*) filter (where is_paid) as paid_orders,
                        coalesce(sum(net_amount) filter (where is_paid), 0) as paid_net_amount,
                        count(*) filter (where status = 'cancelled') as cancelled_orders,
                        count(*) filter (where status = 'refunded') as refunded_orders
                    from marts.fct_orders
                    where ordered_date <= {AS_OF}
                    group by all
                ),
                kpis as (
                    select
                        cast(date_trunc('month', kpi_date) as date) as month_start,
                        sum(orders_count) as paid_orders,
                        sum(revenue) as revenue,
                        sum(cancelled_orders) as cancelled_orders,
                        sum(refunded_orders) as refunded_orders,
                        sum(new_customers) as new_customers
                    from marts.mart_daily_kpis
                    group by all
                ),
                first_orders as (
                    select
                        cast(date_trunc('month', first_order_date) as date) as month_start,
                        count(*) as new_customers
                    from marts.dim_customers
                    where first_order_date <= {AS_OF}
                    group by all
                ),
                cohorts as (
                    select
                        cast(cohort_month + to_months(months_since_first_order) as date) as month_start,
                        sum(orders_count) as paid_orders,
                        sum(revenue) as revenue
                    from marts.mart_cohort_retention
                    group by all
                ),
                months as (
                    select month_start from orders
                    union select month_start from kpis
                    union select month_start from first_orders
                    union select month_start from cohorts
                )
                select
                    months.month_start,
                    coalesce(kpis.paid_orders, 0) - coalesce(orders.paid_orders, 0) as kpis_orders_difference,
                    (coalesce(kpis.revenue, 0) - coalesce(orders.paid_net_amount, 0))::double
                        as kpis_revenue_difference,
                    coalesce(kpis.cancelled_orders, 0) + coalesce(kpis.refunded_orders, 0)
                        - coalesce(orders.cancelled_orders, 0) - coalesce(orders.refunded_orders, 0)
                        as kpis_unpaid_orders_difference,
                    coalesce(kpis.new_customers, 0) - coalesce(first_orders.new_customers, 0)
                        as kpis_new_customers_difference,
                    coalesce(cohorts.paid_orders, 0) - coalesce(orders.paid_orders, 0) as cohort_orders_difference,
                    (coalesce(cohorts.revenue, 0) - coalesce(orders.paid_net_amount, 0))::double
                        as cohort_revenue_difference
                from months
                left join orders on months.month_start = orders.month_start
                left join kpis on months.month_start = kpis.month_start
                left join first_orders on months.month_start = first_orders.month_start
                left join cohorts on months.month_start = cohorts.month_start
                order by months.month_start
            """,
            description="Per month up to the as-of day: mart_daily_kpis paid orders, revenue, cancelled + refunded "
            "= fct_orders; new customers = dim_customers first orders; mart_cohort_retention orders and revenue "
            "(by activity month) = fct_orders paid.",
        ),
        Gate(
            name="marts_rfm_reconciliation",
            asset_key=("marts", "mart_rfm_segments"),
            query=f"""
                with rfm as (
                    select
                        snapshot_date,
                        bool_or(is_current) as is_current,
                        count(*) as customers,
                        sum(monetary) as monetary,
                        lag(count(*)) over (order by snapshot_date) as previous_customers,
                        row_number() over (order by snapshot_date) = 1 as is_first
                    from marts.mart_customer_rfm
                    group by snapshot_date
                ),
                segments as (
                    select snapshot_date, sum(customers) as customers, sum(revenue) as revenue
                    from marts.mart_rfm_segments
                    group by snapshot_date
                ),
                migrations as (
                    select
                        to_snapshot_date as snapshot_date,
                        sum(customers) as customers,
                        sum(customers) filter (where from_segment <> '(new)') as staying_customers
                    from marts.mart_segment_migration
                    group by to_snapshot_date
                ),
                current_customers as (
                    select count(*) as customers
                    from marts.dim_customers
                    where orders_count > 0 and first_order_date <= {AS_OF}
                ),
                current_revenue as (
                    select coalesce(sum(net_amount), 0) as revenue
                    from marts.fct_orders
                    where is_paid and ordered_date <= {AS_OF}
                )
                select
                    coalesce(rfm.snapshot_date, segments.snapshot_date) as snapshot_date,
                    coalesce(segments.customers, 0) - coalesce(rfm.customers, 0) as segments_customers_difference,
                    (coalesce(segments.revenue, 0) - coalesce(rfm.monetary, 0))::double as segments_revenue_difference,
                    case when not rfm.is_first then coalesce(migrations.customers, 0) - rfm.customers else 0 end
                        as migration_customers_difference,
                    case when not rfm.is_first then coalesce(migrations.staying_customers, 0) - rfm.previous_customers
                        else 0 end as migration_staying_difference,
                    case when rfm.is_current then rfm.customers - current_customers.customers else 0 end
                        as current_customers_difference,
                    case when rfm.is_current then (rfm.monetary - current_revenue.revenue)::double else 0 end
                        as current_monetary_difference
                from rfm
                full outer join segments on rfm.snapshot_date = segments.snapshot_date
                left join migrations on rfm.snapshot_date = migrations.snapshot_date
                cross join current_customers
                cross join current_revenue
                order by 1
            """,
            description="Per snapshot: mart_rfm_segments customers and revenue = mart_customer_rfm; "
            "mart_segment_migration moves into it = its customers, and from an earlier segment = the previous "
            "snapshot's customers; the current snapshot = dim_customers with a paid order and fct_orders paid revenue.",
        ),
        Gate(
            name="marts_supply_reconciliation",
            asset_key=("marts", "mart_factory_scorecard"),
            query="""
                -- per day first, then per period: crossing every delivery with both grains doubled the rows
                -- aggregated (TPC-H SF10's 58 M deliveries: 1.9 s -> 0.6 s, docs/bench-log.md, "Four mart gates
                -- profiled per group")
                with daily as (
                    select
                        delivered_date,
                        count(*) as deliveries_count,
                        sum(delivered_units) as delivered_units,
                        sum(inspected_units) as inspected_units,
                        sum(passed_units) as passed_units
                    from marts.fct_deliveries
                    group by all
                ),
                deliveries as (
                    select
                        grain.period_grain,
                        cast(date_trunc(grain.period_grain, delivered_date) as date) as period_start,
                        sum(deliveries_count) as deliveries_count,
                        sum(delivered_units) as delivered_units,
                        sum(inspected_units) as inspected_units,
                        sum(passed_units) as passed_units
                    from daily
                    cross join (values ('month'), ('week')) as grain (period_grain)
                    group by all
                ),
                scorecard as (
                    select
                        period_grain,
                        period_start,
                        sum(deliveries_count) as deliveries_count,
                        sum(delivered_units) as delivered_units,
                        sum(inspected_units) as inspected_units,
                        sum(passed_units) as passed_units
                    from marts.mart_factory_scorecard
                    group by all
                )
                select
                    coalesce(scorecard.period_grain, deliveries.period_grain) as period_grain,
                    coalesce(scorecard.period_start, deliveries.period_start) as period_start,
                    coalesce(scorecard.deliveries_count, 0) - coalesce(deliveries.deliveries_count, 0)
                        as deliveries_count_difference,
                    coalesce(scorecard.delivered_units, 0) - coalesce(deliveries.delivered_units, 0)
                        as delivered_units_difference,
                    coalesce(scorecard.inspected_units, 0) - coalesce(deliveries.inspected_units, 0)
                        as inspected_units_difference,
                    coalesce(scorecard.passed_units, 0) - coalesce(deliveries.passed_units, 0)
                        as passed_units_difference
                from scorecard
                full outer join deliveries
                    on scorecard.period_grain = deliveries.period_grain
                    and scorecard.period_start = deliveries.period_start
                order by all
            """,
            description="Per month and per ISO week: mart_factory_scorecard deliveries, delivered, inspected and "
            "passed units = fct_deliveries of that period.",
        ),
        Gate(
            name="marts_materials_reconciliation",
            asset_key=("marts", "mart_factory_supplier_compliance"),
            query="""
                with suppliers as (
                    select month_start, sum(purchases_count) as purchases_count, sum(spend_amount) as spend_amount
                    from marts.mart_supplier_scorecard
                    group by all
                ),
                factories as (
                    select
                        month_start,
                        sum(purchases_count) as purchases_count,
                        sum(material_spend_amount) as spend_amount
                    from marts.mart_factory_supplier_compliance
                    group by all
                )
                select
                    coalesce(suppliers.month_start, factories.month_start) as month_start,
                    coalesce(factories.purchases_count, 0) - coalesce(suppliers.purchases_count, 0)
                        as purchases_count_difference,
                    (coalesce(factories.spend_amount, 0) - coalesce(suppliers.spend_amount, 0))::double
                        as spend_amount_difference
                from suppliers
                full outer join factories on suppliers.month_start = factories.month_start
                order by 1
            """,
            description="Per month: material purchases and spend in mart_factory_supplier_compliance = "
            "mart_supplier_scorecard (to the cent).",
        ),
    )


_VARS = dbt_vars()  # this run's effective dbt vars (dbt_project.yml + DBT_VARS)

MART_GATES: tuple[Gate, ...] = (
    Gate(
        name="marts_fct_orders_daily",
        asset_key=("marts", "fct_orders"),
        query="""
            select
                ordered_date,
                count(*) as orders,
                count(*) filter (where is_paid) as paid_orders,
                min(net_amount) as min_net_amount,
                count(*) filter (where net_amount > gross_amount) as net_above_gross,
                sum(net_amount) filter (where is_paid) as paid_net_amount
            from marts.fct_orders
            group by ordered_date
            order by ordered_date
        """,
        # no duplicate ids here: dbt's unique test on fct_orders.order_id covers the whole table (a per-day count of
        # distinct ids took 2.4 of the query's 2.5 s on TPC-H SF10's 15 M orders)
        description="Orders per day: no negative or above-gross net amounts.",
    ),
    Gate(
        name="marts_fct_orders_values",
        asset_key=("marts", "fct_orders"),
        query="""
            select
                status,
                channel,
                is_paid,
                count(*) as orders,
                min(items_count) as min_items_count,
                min(units_count)::bigint as min_units_count
            from marts.fct_orders
            group by all
            order by all
        """,
        description="Allowed values of status and channel; every order has at least one line and one unit.",
    ),
    Gate(
        name="marts_dim_customers",
        asset_key=("marts", "dim_customers"),
        # a profile per lifecycle stage and purchase tier, not every customer (GX over each of TPC-H SF10's 1.5 M
        # customers took ~1 s; docs/bench-log.md, "Four mart gates profiled per group")
        query="""
            select
                lifecycle_stage,
                purchase_tier,
                count(*) as customers,
                min(orders_count) as min_orders_count,
                min(net_revenue) as min_net_revenue
            from marts.dim_customers
            group by all
            order by all
        """,
        description="Paid orders and revenue never negative (a profile per lifecycle stage and purchase tier).",
    ),
    Gate(
        name="marts_reconciliation",
        asset_key=("marts", "dim_customers"),
        query="""
            with customer_totals as (
                select
                    sum(net_revenue) as net_revenue,
                    sum(orders_count) as orders_count
                from marts.dim_customers
            ),
            order_totals as (
                select
                    sum(net_amount) filter (where is_paid) as net_revenue,
                    count(*) filter (where is_paid) as orders_count
                from marts.fct_orders
            )
            select
                'dim_customers vs fct_orders' as reconciliation,
                customer_totals.net_revenue::double as dim_customers_net_revenue,
                order_totals.net_revenue::double as fct_orders_paid_net_amount,
                (customer_totals.net_revenue - order_totals.net_revenue)::double as net_revenue_difference,
                customer_totals.orders_count - order_totals.orders_count as orders_count_difference
            from customer_totals, order_totals
        """,
        description="Totals agree between marts: sum(dim_customers.net_revenue) = paid sum(fct_orders.net_amount), "
        "sum(orders_count) = paid orders.",
    ),
    *_customer_mart_gates(_VARS),
    *_playbook_mart_gates(_VARS),
    *_supply_mart_gates(_VARS),
    *_reconciliation_gates(),
)

GATES: tuple[Gate, ...] = RAW_GATES + MART_GATES
