"""The row-level rules of the raw load: the one place that says which input rows go to quarantine, and why.

A rule is a name (stored in quarantine.<table>._rule, e.g. "unknown sku") and a SQL condition over the columns
raw.py's check query gives each incoming row, named by the helpers below: `landed(c)` (the column as the VARCHAR it
arrived as), `typed(c)` (try_cast to the contract type) and the flags IS_REPEAT, IS_IN_RAW, `has_reference(c)`.
Rules are tried in the order below; a row is quarantined with the first rule it breaks. raw.py runs them in one
SQL statement per load, so they cost a scan, not a Python loop.

Table-level tolerances (how much quarantine a load may have) live in settings.QUARANTINE_TOLERANCE and the gates,
not here.
"""

from __future__ import annotations

import re
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

# Prices may be 0 but never negative: an order line paid at 0 is a gift (赠品, a free sample), a sale line the marts
# count as a line but never as a discount (dbt/macros/order_lines.sql); a catalogue gift SKU is listed at 0.
PRICES: dict[str, tuple[str, ...]] = {
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


# A timestamp written with a UTC offset ("2026-06-01 23:30+08:00", "15:30Z", Parquet TIMESTAMPTZ read as text:
# "... 15:30:00+00") is converted to the shop's time zone (SHOP_TZ); DuckDB's TIMESTAMP cast would drop the offset.
TIMESTAMP_WITH_OFFSET = r"^.*[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"
DECIMAL_TYPE = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def typed_sql(type_: str, text: str, shop_tz: str = "$shop_tz") -> str:
    """SQL: the text `text` as contract type `type_`, NULL when it is not exactly a value of that type (the row is
    then quarantined as "unparseable <column>"). Stricter than DuckDB's casts, which change values silently:
    - integers are digits only ('1.5' would round to 2, '1_000' would be 1000);
    - decimals are digits with at most the type's scale of decimals, trailing zeros aside ('99.999' would round to
      100.00 in DECIMAL(14,2), '0.004' to 0.00, '1e3' and '1_000' would be 1000.00);
    - timestamps with a UTC offset are converted to SHOP_TZ (`shop_tz`: SQL giving the zone name)."""
    if type_ in ("INTEGER", "BIGINT"):
        return f"case when regexp_full_match(trim({text}), '[+-]?[0-9]+') then try_cast(trim({text}) as {type_}) end"
    decimal = DECIMAL_TYPE.fullmatch(type_)
    if decimal:
        scale = int(decimal.group(2))
        digits = f"[+-]?([0-9]+(\\.[0-9]{{0,{scale}}}0*)?|\\.[0-9]{{1,{scale}}}0*)"
        return f"case when regexp_full_match(trim({text}), '{digits}') then try_cast(trim({text}) as {type_}) end"
    if type_ == "TIMESTAMP":
        return (
            f"case when regexp_full_match(trim({text}), '{TIMESTAMP_WITH_OFFSET}') "
            f"then timezone({shop_tz}, try_cast(trim({text}) as timestamptz)) "
            f"else try_cast({text} as TIMESTAMP) end"
        )
    return f"try_cast({text} as {type_})"


@dataclass(frozen=True)
class Rule:
    name: str
    condition: str  # SQL over the check query's columns: landed(c), typed(c), IS_REPEAT, ...


def quote_identifier(name: str) -> str:
    """SQL: `name` as a quoted identifier (the one helper; raw.py, gates.py and publish.py call it too)."""
    return '"' + name.replace('"', '""') + '"'


_q = quote_identifier  # short, for the rules' SQL below


def landed(column: str) -> str:
    """The incoming row's `column` as the text it arrived as."""
    return _q(f"landed.{column}")


def typed(column: str) -> str:
    """The incoming row's `column` cast to its contract type (NULL when it does not parse)."""
    return _q(f"typed.{column}")


def has_reference(column: str) -> str:
    """Whether the row's `column` names a row already in raw (REFERENCES)."""
    return _q(f"refs.has_{column}")


IS_REPEAT = _q("copies.is_repeat")  # equal in every landed column to an earlier row of the same load
IS_IN_RAW = _q("copies.is_in_raw")  # equal in every typed column to a row already in raw under the same key


def rules_for(table: RawTable) -> list[Rule]:
    """Every rule of `table`, in the order they are tried."""
    rules: list[Rule] = [
        Rule("unparseable _partition_date", f"{typed('_partition_date')} is null"),
        Rule("partition outside load range", f"not {typed('_partition_date')} between $first_day and $last_day"),
    ]
    for column in table.columns:
        if column.type != "VARCHAR":
            rules.append(
                Rule(
                    f"unparseable {column.name}",
                    f"{landed(column.name)} is not null and {typed(column.name)} is null",
                )
            )
    for key in table.key:
        rules.append(Rule("null key", f"{typed(key)} is null or trim({typed(key)}::varchar) = ''"))
    required = [c.name for c in table.columns if not c.nullable and c.name not in table.key]
    required += list(REQUIRED_ANYWAY.get(table.name, ()))
    for name in required:
        rules.append(Rule(f"null {name}", f"{typed(name)} is null"))
    for name in POSITIVE_QUANTITIES.get(table.name, ()):
        rules.append(Rule("negative or zero quantity", f"{typed(name)} <= 0"))
    for name in PRICES.get(table.name, ()):
        rules.append(Rule("negative price", f"{typed(name)} < 0"))
    for name in NON_NEGATIVE.get(table.name, ()):
        rules.append(Rule(f"negative {name}", f"{typed(name)} < 0"))
    if table.date_column is not None:
        event_day = f"cast({typed(table.date_column)} as date)"
        rules.append(
            Rule(
                "future timestamp",
                f"{event_day} > {typed('_partition_date')} + {FUTURE_SLACK_DAYS} "
                f"or {event_day} > cast($last_day as date) + {FUTURE_SLACK_DAYS}",
            )
        )
    rules.append(Rule("exact duplicate", f"{IS_REPEAT} or {IS_IN_RAW}"))
    for reference in REFERENCES.get(table.name, ()):
        rules.append(Rule(reference.rule, f"not {has_reference(reference.column)}"))
    return rules
