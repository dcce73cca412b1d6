"""The GX suites, as code that writes expectations/gx/expectations/<gate>.json (+ validation definition and
checkpoint). Run `python -m dagster_project.quality.suites` after changing a gate or the raw contract, and commit
the JSON: the checks read the JSON, so a reviewer sees every expectation change as a diff.

Raw suites follow the raw contract and warehouse/rules.py; mart suites state what a BI reader may rely on.
"""

from __future__ import annotations

from typing import Any

from dagster_project.quality.gates import (
    GATES,
    VOLUME_CHECKED_TABLES,
    VOLUME_RATIO_RANGE,
    raw_profile_columns,
    raw_schema_signature,
)
from dagster_project.sources.contract import RAW_TABLES


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
        strictly_positive = "price" in column or column in ("quantity", "inspected_qty")
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
            gxe.ExpectColumnValuesToBeBetween(column="duplicate_order_ids", min_value=0, max_value=0),
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
            gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
            gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
            gxe.ExpectColumnValuesToBeBetween(column="orders_count", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="net_revenue", min_value=0),
        ]
    if name == "marts_reconciliation":
        return [
            gxe.ExpectTableRowCountToEqual(value=1),
            # money is DECIMAL(.,2) end to end: totals agree to the cent, a tolerance would hide a lost order
            gxe.ExpectColumnValuesToBeBetween(column="net_revenue_difference", min_value=-0.001, max_value=0.001),
            gxe.ExpectColumnValuesToBeBetween(column="orders_count_difference", min_value=0, max_value=0),
        ]
    raise KeyError(f"no expectations written for gate {name!r}: add them to dagster_project/quality/suites.py")


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
        suite.expectations = []
        for expectation in expectations:
            suite.add_expectation(expectation)
        suite.notes = f"{gate.description} (query in dagster_project/quality/gates.py)"
        suite.save()
        gx_runner.ensure_checkpoint(gate.name)
        print(f"wrote expectations/gx/expectations/{gate.name}.json ({len(expectations)} expectations)")


if __name__ == "__main__":
    write_suites()
