"""The GX suites, as code that writes expectations/gx/expectations/<gate>.json (+ validation definition and
checkpoint). Run `python -m dagster_project.quality.suites` after changing a gate or the raw contract, and commit
the JSON: the checks read the JSON, so a reviewer sees every expectation change as a diff.

Raw suites follow the raw contract and warehouse/rules.py; mart suites state what a BI reader may rely on, apart
from a mart's keys (unique, not null, ranks 1..n): those are its dbt tests, blocking checks of the same run.
"""

from __future__ import annotations

import json
from typing import Any

from dagster_project.quality.gates import (
    GATES,
    VOLUME_CHECKED_TABLES,
    VOLUME_RATIO_RANGE,
    dbt_vars,
    purchase_tier_labels,
    raw_profile_columns,
    raw_schema_signature,
    rfm_segment_names,
)
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse.rules import POSITIVE_QUANTITIES


def _raw_expectations(table_name: str) -> list[Any]:
    import great_expectations.expectations as gxe

    table = RAW_TABLES[table_name]
    profile = raw_profile_columns(table)
    expectations: list[Any] = [
        gxe.ExpectColumnValuesToBeInSet(column="raw_schema", value_set=[raw_schema_signature(table)]),
        gxe.ExpectColumnValuesToNotBeNull(column="partition_date"),
        gxe.ExpectColumnValuesToBeUnique(column="partition_date"),
        gxe.ExpectColumnValuesToBeBetween(column="rows_loaded", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(
            column="quarantined_share", min_value=0, max_value={"$PARAMETER": "quarantine_tolerance"}
        ),
        gxe.ExpectColumnValuesToBeBetween(column="null_keys", min_value=0, max_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="duplicate_keys", min_value=0, max_value=0),
    ]
    if table_name in VOLUME_CHECKED_TABLES:
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="volume_ratio", min_value=VOLUME_RATIO_RANGE[0], max_value=VOLUME_RATIO_RANGE[1]
            )
        )
    for name in profile:
        if not name.startswith("min_"):
            continue
        column = name.removeprefix("min_")
        # units must be > 0; prices and amounts may be 0 (a gift line is paid at 0: warehouse/rules.py PRICES)
        strictly_positive = any(column in names for names in POSITIVE_QUANTITIES.values())
        expectations.append(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0, strict_min=strictly_positive))
    if "max_event_at" in profile:
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(column="max_event_at", max_value={"$PARAMETER": "max_event_at"})
        )
    return expectations


def _mart_expectations(name: str) -> list[Any]:
    import great_expectations.expectations as gxe

    if name == "marts_fct_orders_daily":
        return [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToNotBeNull(column="ordered_date"),
            gxe.ExpectColumnValuesToBeUnique(column="ordered_date"),
            gxe.ExpectColumnValuesToBeBetween(column="min_net_amount", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="net_above_gross", min_value=0, max_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="orders", min_value=1),
        ]
    if name == "marts_fct_orders_values":
        return [
            gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["paid", "cancelled", "refunded"]),
            gxe.ExpectColumnValuesToNotBeNull(column="channel"),
            gxe.ExpectColumnPairValuesToBeInSet(
                column_A="status",
                column_B="is_paid",
                value_pairs_set=[("paid", True), ("cancelled", False), ("refunded", False)],
            ),
            gxe.ExpectColumnValuesToBeBetween(column="min_items_count", min_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="min_units_count", min_value=1),
        ]
    if name == "marts_dim_customers":
        return [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            *_between(0, None, "min_orders_count", "min_net_revenue"),
        ]
    if name == "marts_reconciliation":
        return [
            gxe.ExpectTableRowCountToEqual(value=1),
            # money is DECIMAL(.,2) end to end: totals agree to the cent, a tolerance would hide a lost order
            gxe.ExpectColumnValuesToBeBetween(column="net_revenue_difference", min_value=-0.001, max_value=0.001),
            gxe.ExpectColumnValuesToBeBetween(column="orders_count_difference", min_value=0, max_value=0),
        ]
    expectations = _customer_mart_expectations(name) or _supply_mart_expectations(name)
    if expectations:
        return expectations
    raise KeyError(f"no expectations written for gate {name!r}: add them to dagster_project/quality/suites.py")


# Value sets of the mart suites. Those derived from dbt vars or the segment seed are read here, when the suites are
# written (after changing purchase_tier_lower_bounds, spend_level_bands, outreach_discount_rates or the seed,
# regenerate); the others are the fixed labels of the dbt models (their accepted_values tests say the same).
LIFECYCLE_STAGES = ["new", "active", "at_risk", "dormant", "lost"]
SUPPLY_TIERS = ["Preferred", "Acceptable", "Developmental"]
SUPPLY_INDICATORS = ["on_time_rate", "in_full_rate", "pass_rate"]
CENT = 0.001  # money is DECIMAL(.,2) end to end: totals agree to the cent
# 0..100 scores are weighted sums of doubles (0.4 + 0.2 + 0.4): a perfect score can come out as 100.00000000000001
SCORE_MAX = 100 + 1e-9


def _zero(*columns: str) -> list[Any]:
    """Violation counts and count differences that must be exactly 0."""
    import great_expectations.expectations as gxe

    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=0) for c in columns]


def _cents(*columns: str) -> list[Any]:
    """Money differences that must be 0 to the cent."""
    import great_expectations.expectations as gxe

    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=-CENT, max_value=CENT) for c in columns]


def _between(min_value: float | None, max_value: float | None, *columns: str) -> list[Any]:
    import great_expectations.expectations as gxe

    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=min_value, max_value=max_value) for c in columns]


def _in_set(column: str, values: list[Any]) -> list[Any]:
    """An allowed-value column: never null, always one of `values`."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(column=column),
        gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values),
    ]


def _keys(*columns: str) -> list[Any]:
    """Columns that are present and unique together: a reconciliation frame's grain (one row per month, period or
    snapshot of the marts it joins; a join gone wrong repeats one). A mart's own keys are dbt tests."""
    import great_expectations.expectations as gxe

    unique = (
        gxe.ExpectColumnValuesToBeUnique(column=columns[0])
        if len(columns) == 1
        else gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns))
    )
    return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns] + [unique]


def _customer_mart_expectations(name: str) -> list[Any]:
    import great_expectations.expectations as gxe

    project_vars = dbt_vars(run_overrides=False)
    segments = rfm_segment_names()
    tiers = purchase_tier_labels(project_vars["purchase_tier_lower_bounds"])
    at_least_one_row = gxe.ExpectTableRowCountToBeBetween(min_value=1)
    if name == "marts_mart_customer_rfm":
        return [
            at_least_one_row,
            *_in_set("segment", segments),
            *_between(1, 5, "min_score", "max_score"),
            *_between(0, None, "min_recency_days", "min_monetary"),
            *_between(1, None, "customers", "min_frequency"),
            *_zero("rfm_cell_mismatches", "segment_mismatches", "snapshot_flag_mismatches"),
            *_between(1, 1, "current_snapshots"),
        ]
    if name == "marts_mart_rfm_segments":
        return [
            at_least_one_row,
            *_in_set("segment", segments),
            *_between(1, None, "customers"),
            *_between(0, 1, "customer_share_rate", "revenue_share_rate"),
            *_between(1, 5, "min_avg_score", "max_avg_score"),
            *_between(1 - 1e-9, 1 + 1e-9, "snapshot_customer_share", "snapshot_revenue_share"),
            *_between(1, 1, "current_snapshots"),
        ]
    if name == "marts_mart_segment_migration":
        return [
            gxe.ExpectColumnValuesToBeInSet(column="from_segment", value_set=["(new)", *segments]),
            gxe.ExpectColumnValuesToBeInSet(column="to_segment", value_set=segments),
            *_between(1, None, "customers"),
            *_between(0, 1, "from_segment_share_rate"),
            *_between(1 - 1e-9, 1 + 1e-9, "from_segment_share"),
            *_zero("snapshot_order_mismatches", "same_segment_mismatches"),
        ]
    if name == "marts_mart_repurchase_cycle":
        return [
            at_least_one_row,
            *_in_set("dimension", ["overall", "category", "purchase_tier"]),
            gxe.ExpectColumnValuesToBeInSet(column="purchase_tier", value_set=tiers),
            *_between(0, None, "gaps_count", "min_days"),
            *_zero("percentile_order_mismatches"),
            *_between(1, 1, "overall_rows"),
        ]
    if name == "marts_mart_cohort_retention":
        return [
            at_least_one_row,
            *_in_set("cohort_type", ["deep_discount", "regular"]),
            *_between(0, None, "months_since_first_order", "active_customers", "orders_count", "revenue"),
            *_between(0, None, "cumulative_revenue_per_customer"),
            *_between(1, None, "cohort_customers"),
            *_between(0, 1, "retention_rate", "min_second_order_rate", "max_second_order_rate"),
            *_zero("customer_count_mismatches", "window_order_mismatches"),
        ]
    if name == "marts_mart_daily_kpis":
        return [
            at_least_one_row,
            *_between(1, 1, "days_since_previous_row"),
            gxe.ExpectColumnValuesToBeInSet(column="ends_on_as_of_date", value_set=[True]),
            *_between(0, None, "min_count", "min_revenue", "min_aov"),
            *_cents("revenue_split_difference"),
            *_between(0, 1, "returning_revenue_share_rate"),
        ]
    if name == "marts_mart_outreach_candidates":
        return [
            *_in_set("outreach_reason", sorted(project_vars["outreach_discount_rates"])),
            *_in_set("suggested_channel", ["sms", "email"]),
            gxe.ExpectColumnValuesToNotBeNull(column="is_loyal"),
            *_in_set("purchase_tier", tiers),
            *_in_set("lifecycle_stage", LIFECYCLE_STAGES),
            gxe.ExpectColumnValuesToBeInSet(column="rfm_segment", value_set=segments),
            *_in_set("spend_level", [label for label, _ in project_vars["spend_level_bands"]]),
            *_between(0, 1, "min_discount_rate", "max_discount_rate"),
            *_zero("as_of_date_mismatches", "loyal_flag_mismatches", "loyal_discount_above_cap"),
            *_zero("sms_above_cap", "contacted_too_recently"),
        ]
    if name == "marts_mart_contact_effectiveness":
        # no row minimum: a shop may export no contact log (the Online Retail export)
        return [
            *_between(0, None, "min_attributed_orders", "min_attributed_revenue", "min_days_to_next_order"),
            *_zero("credited_not_converted", "credit_revenue_mismatches", "conversion_mismatches"),
            *_zero("non_sms_cap_breaches", "as_of_date_mismatches"),
        ]
    if name == "marts_mart_contact_effectiveness_weekly":
        return [
            gxe.ExpectTableRowCountToEqual(value=1),
            *_zero("contacts_difference", "attributed_orders_difference", "sms_cap_breaches_difference"),
            *_cents("attributed_revenue_difference"),
            *_between(0, 1, "min_conversion_rate", "max_conversion_rate"),
            *_zero("count_order_mismatches"),
        ]
    if name == "marts_mart_discount_governance":
        return [
            at_least_one_row,
            *_between(0, 1, "min_discount_rate", "max_discount_rate"),
            *_zero("amount_mismatches", "loyal_flag_mismatches", "cap_flag_mismatches"),
        ]
    if name == "marts_mart_discount_share":
        return [
            at_least_one_row,
            *_in_set("dimension", ["category", "sku", "style"]),
            *_between(0, 1, "min_rate", "max_rate"),
            *_between(1 - 1e-9, 1 + 1e-9, "discount_money_share"),
            *_zero("discounted_above_units", "units_difference"),
            *_cents("discount_amount_difference"),
        ]
    if name == "marts_mart_new_sku_campaign_sales":
        # no row minimum: a shop without campaign codes (the Online Retail export) has no campaign day
        return [
            *_between(0, project_vars["new_sku_max_age_days"], "min_days_since_launch", "max_days_since_launch"),
            *_between(1, None, "min_units", "min_orders"),
            *_between(0, 1, "min_discount_depth_rate", "max_discount_depth_rate"),
            *_zero("missing_campaign_codes"),
        ]
    if name == "marts_mart_product_drops":
        # no row minimum: a catalogue without launch days after its first (the Online Retail export) has no drop
        return [
            *_between(1, None, "min_skus_count"),
            *_between(0, 6, "min_drop_day_in_week", "max_drop_day_in_week"),
            *_between(0, None, "min_units_day_1"),
            *_between(0, 1, "min_rate", "max_rate"),
            *_zero("null_counts", "count_order_mismatches", "adopters_above_buyers", "day_30_flag_mismatches"),
            *_zero("drops_after_as_of_date", "early_adopted_drops_difference"),
        ]
    if name == "marts_mart_campaign_notify_list":
        # no row minimum: a calendar without a campaign after the as-of day, or a shop without campaigns, lists nobody
        return [
            *_in_set("suggested_channel", ["sms", "email"]),
            *_in_set("lifecycle_stage", LIFECYCLE_STAGES),
            *_zero("campaign_day_mismatches", "sms_above_cap", "not_campaign_cohort"),
        ]
    if name == "marts_mart_campaign_cohort_journey":
        # no row minimum: a shop without campaign codes (the Online Retail export) has no campaign cohort
        return [
            *_between(1, None, "min_cohort_customers"),
            *_between(0, 1, "min_rate", "max_rate"),
            *_between(0, None, "min_median_days_to_next_order"),
            *_zero("cohorts_after_as_of_date", "count_mismatches", "cohort_customers_difference"),
        ]
    if name == "marts_revenue_reconciliation":
        return [
            at_least_one_row,
            *_keys("month_start"),
            *_zero("kpis_orders_difference", "kpis_unpaid_orders_difference", "kpis_new_customers_difference"),
            *_zero("cohort_orders_difference"),
            *_cents("kpis_revenue_difference", "cohort_revenue_difference"),
        ]
    if name == "marts_rfm_reconciliation":
        return [
            at_least_one_row,
            *_keys("snapshot_date"),
            *_zero("segments_customers_difference", "migration_customers_difference", "migration_staying_difference"),
            *_zero("current_customers_difference"),
            *_cents("segments_revenue_difference", "current_monetary_difference"),
        ]
    return []


def _supply_mart_expectations(name: str) -> list[Any]:
    import great_expectations.expectations as gxe

    # supply marts may be empty (a shop without factory data, e.g. the Online Retail export): no row minimum
    if name == "marts_fct_deliveries":
        return [
            *_between(1, None, "deliveries", "min_delivered_units"),
            *_zero("passed_above_inspected"),
            *_between(0, None, "min_inspected_units", "min_lead_time_days"),
            *_between(0, 1, "min_pass_rate", "max_pass_rate"),
            *_between(0, 1_000_000, "min_defect_ppm", "max_defect_ppm"),
            *_between(0, SCORE_MAX, "min_delivery_score", "max_delivery_score"),
            *_zero("otif_mismatches", "inspection_mismatches"),
        ]
    if name == "marts_mart_factory_scorecard":
        return [
            *_in_set("period_grain", ["month", "week"]),
            *_in_set("tier", SUPPLY_TIERS),
            *_between(1, None, "factories", "min_deliveries_count"),
            *_between(0, 1, "min_rate", "max_rate"),
            *_between(0, None, "min_defect_ppm"),
            *_between(0, SCORE_MAX, "min_score", "max_score"),
            *_zero("tier_mismatches", "otif_above_components", "passed_above_inspected", "derived_column_mismatches"),
        ]
    if name == "marts_mart_factory_ranking":
        return [
            *_between(1, None, "deliveries_count"),
            *_in_set("tier", SUPPLY_TIERS),
            *_in_set("trend", ["improving", "stable", "declining", "new"]),
            gxe.ExpectColumnValuesToBeInSet(column="strongest_indicator", value_set=SUPPLY_INDICATORS),
            gxe.ExpectColumnValuesToBeInSet(column="weakest_indicator", value_set=SUPPLY_INDICATORS),
            *_between(0, 1, "min_rate", "max_rate"),
            *_between(0, None, "defect_ppm"),
            *_between(0, SCORE_MAX, "score"),
            *_zero("tier_mismatches", "trend_mismatches", "otif_above_components", "window_mismatches"),
            *_zero("window_deliveries_difference"),
        ]
    if name == "marts_mart_factory_alerts":
        return [
            *_in_set("alert_type", ["decline", "tier_floor"]),
            *_in_set("indicator", [*SUPPLY_INDICATORS, "score"]),
            gxe.ExpectColumnValuesToBeInSet(
                column="alert_type_indicator",
                value_set=[*(f"decline/{i}" for i in SUPPLY_INDICATORS), "tier_floor/score"],
            ),
            *_in_set("severity", ["high", "medium"]),
            *_in_set("status", ["open", "closed"]),
            *_zero("status_mismatches"),
            *_between(0, 1, "min_decline_rate", "max_decline_rate"),
            *_between(0, SCORE_MAX, "min_tier_floor_score", "max_tier_floor_score"),
            *_between(1, None, "alerts", "min_breach_periods_count"),
            *_between(0, None, "min_deliveries_count"),
            *_zero("drop_mismatches", "date_order_mismatches", "severity_mismatches"),
        ]
    if name == "marts_mart_supplier_scorecard":
        return [
            *_between(1, None, "purchases_count", "factories_count", "purchased_units"),
            *_between(0, None, "spend_amount", "defective_units"),
            *_between(0, 1, "on_time_rate", "defect_rate"),
            *_zero("count_mismatches"),
        ]
    if name == "marts_mart_factory_supplier_compliance":
        return [
            *_between(1, None, "purchases_count"),
            *_between(0, None, "material_spend_amount", "designated_spend_amount"),
            *_between(0, 1, "min_share", "max_share"),
            gxe.ExpectColumnValuesToBeInSet(column="compliance_trend", value_set=["improving", "stable", "worsening"]),
            *_zero("designated_above_total", "trend_mismatches"),
        ]
    if name == "marts_supply_reconciliation":
        return [
            *_keys("period_grain", "period_start"),
            *_zero("deliveries_count_difference", "delivered_units_difference"),
            *_zero("inspected_units_difference", "passed_units_difference"),
        ]
    if name == "marts_materials_reconciliation":
        return [
            *_keys("month_start"),
            *_zero("purchases_count_difference"),
            *_cents("spend_amount_difference"),
        ]
    return []


def _identity(expectation: Any) -> str:
    config = expectation.configuration.to_json_dict()
    return json.dumps({"type": config["type"], "kwargs": config["kwargs"]}, sort_keys=True, default=str)


def write_suites() -> None:
    import great_expectations as gx

    from dagster_project.quality import gx_runner

    ctx = gx_runner.context()
    for gate in GATES:
        kind = gate.asset_key[0]
        expectations = _raw_expectations(gate.asset_key[1]) if kind == "raw" else _mart_expectations(gate.name)
        try:
            suite = ctx.suites.get(gate.name)
        except Exception:  # noqa: BLE001 - GX raises several types for "not found"
            suite = ctx.suites.add(gx.ExpectationSuite(name=gate.name))
        # an unchanged expectation keeps its id, so regenerating shows only real changes in the diff
        known_ids = {_identity(e): e.id for e in suite.expectations}
        suite.expectations = []
        for expectation in expectations:
            added = suite.add_expectation(expectation)
            added.id = known_ids.pop(_identity(added), added.id)
        suite.notes = f"{gate.description} (query in dagster_project/quality/gates.py)"
        suite.save()
        gx_runner.ensure_checkpoint(gate.name)
        print(f"wrote expectations/gx/expectations/{gate.name}.json ({len(expectations)} expectations)")


if __name__ == "__main__":
    write_suites()
