"""The raw contract: every table any source must deliver, as code.

`docs/raw-contract.md` explains each column; this module is the single source of truth that the loaders, the
simulator, the file adapters and the tests read. Types are DuckDB types. `date_column` is the column whose
calendar day assigns a row to a daily partition (None: the partition comes from the file / the generator day).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    description: str = ""


@dataclass(frozen=True)
class RawTable:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    date_column: str | None
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


C = Column

RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in (
        RawTable(
            "customers",
            ("customer_id",),
            (
                C("customer_id", "VARCHAR", description="Stable customer key, e.g. C000001234."),
                C("signup_date", "DATE", description="Day the customer registered (partition day)."),
                C("birth_year", "INTEGER", True, "Year of birth as declared; null when unknown."),
                C("gender", "VARCHAR", True, "'F', 'M' or null."),
                C("province", "VARCHAR", True, "Province (or country for exports without provinces)."),
                C("city", "VARCHAR", True, "City."),
                C("acquisition_channel", "VARCHAR", True, "Channel of the first order: tmall, taobao, jd, wechat..."),
                C("phone", "VARCHAR", True, "Raw phone number: PII, never published."),
                C("email", "VARCHAR", True, "Raw email address: PII, never published."),
            ),
            "signup_date",
            "One row per registered customer.",
        ),
        RawTable(
            "products",
            ("sku",),
            (
                C("sku", "VARCHAR", description="Stock keeping unit."),
                C("category", "VARCHAR", description="Product category, e.g. tote, crossbody, wallet."),
                C("style", "VARCHAR", description="Style name of the drop the SKU belongs to."),
                C("list_price", "DECIMAL(18,4)", description="List price in the shop currency (0: a gift SKU)."),
                C("launch_date", "DATE", description="Day the SKU went on sale (partition day)."),
                C("factory_id", "VARCHAR", True, "OEM factory that makes it; null for bought-in goods."),
            ),
            "launch_date",
            "One row per SKU.",
        ),
        RawTable(
            "orders",
            ("order_id",),
            (
                C("order_id", "VARCHAR", description="Order key."),
                C("customer_id", "VARCHAR", True, "Buyer; null for guest checkouts (quarantined)."),
                C("ordered_at", "TIMESTAMP", description="When the order was placed (shop local time)."),
                C("channel", "VARCHAR", description="Sales channel: tmall, taobao, jd, wechat, web..."),
                C("campaign_code", "VARCHAR", True, "Deep-discount campaign (e.g. 1111, 1212, 618) or null."),
                C("status", "VARCHAR", description="paid, cancelled or refunded."),
                C("gross_amount", "DECIMAL(14,2)", description="Sum of quantity * list unit price."),
                C("discount_amount", "DECIMAL(14,2)", description="gross_amount - net_amount (>= 0)."),
                C("net_amount", "DECIMAL(14,2)", description="Sum of quantity * paid unit price."),
            ),
            "ordered_at",
            "One row per order (header).",
        ),
        RawTable(
            "order_items",
            ("order_id", "line_number"),
            (
                C("order_id", "VARCHAR", description="Order the line belongs to."),
                C("line_number", "INTEGER", description="1-based line number within the order."),
                C("sku", "VARCHAR", description="SKU bought."),
                C("quantity", "INTEGER", description="Units (> 0)."),
                C("list_unit_price", "DECIMAL(18,4)", description="List price per unit at order time."),
                C("paid_unit_price", "DECIMAL(18,4)", description="Price paid per unit after discounts (0: a gift)."),
            ),
            None,
            "One row per order line; partitioned with its order's day.",
        ),
        RawTable(
            "factories",
            ("factory_id",),
            (
                C("factory_id", "VARCHAR", description="Factory key, e.g. F03."),
                C("factory_name", "VARCHAR", description="Display name."),
                C("province", "VARCHAR", True, "Province of the plant."),
                C("onboarded_date", "DATE", description="Day the factory was onboarded (partition day)."),
            ),
            "onboarded_date",
            "OEM factories.",
        ),
        RawTable(
            "suppliers",
            ("supplier_id",),
            (
                C("supplier_id", "VARCHAR", description="Material supplier key, e.g. S07."),
                C("supplier_name", "VARCHAR", description="Display name."),
                C("material", "VARCHAR", description="Main material supplied: leather, hardware, lining, ..."),
                C("is_designated", "BOOLEAN", description="On the brand's designated-supplier list."),
                C("onboarded_date", "DATE", description="Day the supplier was onboarded (partition day)."),
            ),
            "onboarded_date",
            "Material suppliers.",
        ),
        RawTable(
            "purchase_orders",
            ("po_id",),
            (
                C("po_id", "VARCHAR", description="Purchase order key."),
                C("factory_id", "VARCHAR", description="Factory the order was placed with."),
                C("sku", "VARCHAR", description="SKU ordered."),
                C("quantity", "INTEGER", description="Units ordered (> 0)."),
                C("ordered_date", "DATE", description="Day the PO was issued (partition day)."),
                C("promised_date", "DATE", description="Delivery date the factory committed to."),
            ),
            "ordered_date",
            "Brand -> factory purchase orders.",
        ),
        RawTable(
            "deliveries",
            ("delivery_id",),
            (
                C("delivery_id", "VARCHAR", description="Delivery key."),
                C("po_id", "VARCHAR", description="Purchase order delivered against."),
                C("delivered_date", "DATE", description="Day the goods arrived (partition day)."),
                C("quantity", "INTEGER", description="Units delivered (> 0)."),
            ),
            "delivered_date",
            "Factory deliveries; a PO may be delivered in several parts.",
        ),
        RawTable(
            "inspections",
            ("inspection_id",),
            (
                C("inspection_id", "VARCHAR", description="Inspection key."),
                C("delivery_id", "VARCHAR", description="Delivery inspected."),
                C("inspected_date", "DATE", description="Day of the incoming inspection (partition day)."),
                C("inspected_qty", "INTEGER", description="Units inspected (> 0)."),
                C("passed_qty", "INTEGER", description="Units that passed (0..inspected_qty)."),
                C("defect_type", "VARCHAR", True, "Main defect found, null when all passed."),
            ),
            "inspected_date",
            "Incoming quality inspections of deliveries.",
        ),
        RawTable(
            "material_purchases",
            ("purchase_id",),
            (
                C("purchase_id", "VARCHAR", description="Material purchase key."),
                C("factory_id", "VARCHAR", description="Factory that bought the material."),
                C("supplier_id", "VARCHAR", description="Supplier it was bought from."),
                C("material", "VARCHAR", description="Material bought."),
                C("quantity", "INTEGER", description="Units bought (> 0)."),
                C("amount", "DECIMAL(14,2)", description="Spend in the shop currency."),
                C("is_designated_supplier", "BOOLEAN", description="Supplier designated for this material."),
                C("purchased_date", "DATE", description="Day the purchase was placed."),
                C("promised_date", "DATE", description="Day the supplier promised to deliver."),
                C("received_date", "DATE", description="Day the material arrived (partition day)."),
                C("defective_qty", "INTEGER", description="Units rejected at the factory's incoming check."),
            ),
            "received_date",
            "Factories' material purchases from suppliers, recorded when received.",
        ),
        RawTable(
            "contact_log",
            ("contact_id",),
            (
                C("contact_id", "VARCHAR", description="Contact key."),
                C("customer_id", "VARCHAR", description="Customer contacted."),
                C("channel", "VARCHAR", description="sms, email or phone."),
                C("sent_at", "TIMESTAMP", description="When the message was sent (partition day)."),
                C("purpose", "VARCHAR", description="Why: follow_up, repurchase, wake_up, campaign, service."),
            ),
            "sent_at",
            "Every CRM contact already made.",
        ),
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(RAW_TABLES)


def render_markdown() -> str:
    """docs/raw-contract.md, generated from RAW_TABLES (`python -m dagster_project.sources.contract`)."""
    lines = [
        "# Raw contract",
        "",
        "<!-- generated by `python -m dagster_project.sources.contract > docs/raw-contract.md`; "
        "tests/test_raw_contract.py fails when it is out of date -->",
        "",
        "The tables every source must deliver (the built-in simulator, landing-folder files, an adapter such as",
        "Online Retail). They land in schema `raw` of the build database through the Dagster asset `raw/extract`",
        "(daily partitions). Types are DuckDB types. A row that breaks a row rule (null key, negative quantity,",
        "unknown SKU or customer, future timestamp, exact duplicate, unparseable value) goes to",
        "`quarantine.<table>` with the rule and its source, never dropped (docs/quality.md).",
        "",
        "Every raw table also carries `_load_id`, `_source` (partition day or file and line) and `_loaded_at`.",
        "The *partition column* decides which day a row belongs to; reloading a day replaces that day's rows.",
        "",
    ]
    for table in RAW_TABLES.values():
        lines += [
            f"## {table.name}",
            "",
            f"{table.description} Key: `{', '.join(table.key)}`. Partition column: "
            + (f"`{table.date_column}`." if table.date_column else "the day of the file / generator day."),
            "",
            "| column | type | nullable | meaning |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {c.description} |" for c in table.columns
        ]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")
