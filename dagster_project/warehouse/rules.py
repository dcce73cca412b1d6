"""The row-level rules of the raw load: the one place that says which input rows go to quarantine, and why.

A rule is a name (stored in quarantine.<table>._rule, e.g. "unknown sku") and a SQL condition over two views of
the same incoming row: `landed` (every column as the VARCHAR it arrived as) and `typed` (try_cast to the contract
type). Rules are tried in the order below; a row is quarantined with the first rule it breaks. raw.py runs them
in one SQL statement per load, so they cost a scan, not a Python loop.

Table-level tolerances (how much quarantine a load may have) live in settings.QUARANTINE_TOLERANCE and the gates,
not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster_project.sources.contract import RawTable


@dataclass(frozen=True)
class Reference:
    """A column that must name a row already in raw (loaded earlier, or earlier in the same load)."""

    column: str
    table: str
    key: str
    rule: str


# Dimension rows are loaded before the facts that reference them (raw.LOAD_ORDER), so "already in raw" includes
# this load's good rows.
REFERENCES: dict[str, tuple[Reference, ...]] = {
    "orders": (Reference("customer_id", "customers", "customer_id", "unknown customer"),),
    "order_items": (
        Reference("order_id", "orders", "order_id", "unknown order"),
        Reference("sku", "products", "sku", "unknown sku"),
    ),
    "contact_log": (Reference("customer_id", "customers", "customer_id", "unknown customer"),),
    "purchase_orders": (Reference("sku", "products", "sku", "unknown sku"),),
}

# Nullable in the contract but a row without it cannot be used (guest checkouts): quarantined as "null <column>".
REQUIRED_ANYWAY: dict[str, tuple[str, ...]] = {"orders": ("customer_id",)}

# Units must be > 0.
POSITIVE_QUANTITIES: dict[str, tuple[str, ...]] = {
    "order_items": ("quantity",),
    "purchase_orders": ("quantity",),
    "deliveries": ("quantity",),
    "inspections": ("inspected_qty",),
    "material_purchases": ("quantity",),
}

# Prices must be > 0 (a free handbag is a data error, not a promotion).
POSITIVE_PRICES: dict[str, tuple[str, ...]] = {
    "products": ("list_price",),
    "order_items": ("list_unit_price", "paid_unit_price"),
}

# Amounts and counts that may be zero but never negative.
NON_NEGATIVE: dict[str, tuple[str, ...]] = {
    "orders": ("gross_amount", "discount_amount", "net_amount"),
    "inspections": ("passed_qty",),
    "material_purchases": ("amount", "defective_qty"),
}

# A row's event time may run at most this many days past its partition day (late-evening events filed on the
# next day's export) and past the load's last day; anything later is a "future timestamp".
FUTURE_SLACK_DAYS = 1


@dataclass(frozen=True)
class Rule:
    name: str
    condition: str  # SQL over `landed`, `typed` and the flags computed by raw.py (copies.is_repeat, ...)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rules_for(table: RawTable) -> list[Rule]:
    """Every rule of `table`, in the order they are tried."""
    rules: list[Rule] = [
        Rule("unparseable _partition_date", "typed._partition_date is null"),
        Rule("partition outside load range", "not typed._partition_date between $first_day and $last_day"),
    ]
    for column in table.columns:
        if column.type != "VARCHAR":
            rules.append(
                Rule(
                    f"unparseable {column.name}",
                    f"landed.{_q(column.name)} is not null and typed.{_q(column.name)} is null",
                )
            )
    for key in table.key:
        rules.append(Rule("null key", f"typed.{_q(key)} is null or trim(typed.{_q(key)}::varchar) = ''"))
    required = [c.name for c in table.columns if not c.nullable and c.name not in table.key]
    required += list(REQUIRED_ANYWAY.get(table.name, ()))
    for name in required:
        rules.append(Rule(f"null {name}", f"typed.{_q(name)} is null"))
    for name in POSITIVE_QUANTITIES.get(table.name, ()):
        rules.append(Rule("negative or zero quantity", f"typed.{_q(name)} <= 0"))
    for name in POSITIVE_PRICES.get(table.name, ()):
        rules.append(Rule("price <= 0", f"typed.{_q(name)} <= 0"))
    for name in NON_NEGATIVE.get(table.name, ()):
        rules.append(Rule(f"negative {name}", f"typed.{_q(name)} < 0"))
    if table.date_column is not None:
        event_day = f"cast(typed.{_q(table.date_column)} as date)"
        rules.append(
            Rule(
                "future timestamp",
                f"{event_day} > typed._partition_date + {FUTURE_SLACK_DAYS} "
                f"or {event_day} > cast($last_day as date) + {FUTURE_SLACK_DAYS}",
            )
        )
    rules.append(Rule("exact duplicate", "copies.is_repeat or copies.is_in_raw"))
    for reference in REFERENCES.get(table.name, ()):
        rules.append(Rule(reference.rule, f"not refs.{_q('has_' + reference.column)}"))
    return rules
