"""Unit tests of the simulator: contract shape, keys, referential sanity, purity, determinism, dirty rows.

The planted business truths (repeat gaps, F03 quality slip, ...) are deliberately not tested here from the
simulator's own variables: they are checked from the built marts. These tests keep scales and ranges small so
the file runs in seconds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dagster_project.sources.contract import RAW_TABLES, TABLE_NAMES
from dagster_project.sources.simulator import TABLE_ORDER, SimulatorConfig, generate

START = dt.date(2024, 11, 1)  # covers 11-11 and 12-12 early in the world
CLEAN = SimulatorConfig(seed=7, scale=0.2, start_date=START)
DIRTY = SimulatorConfig(seed=7, scale=0.2, start_date=START, dirty_rate=0.05)

TYPES = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "INTEGER": pa.int32(),
}


def _arrow_type(duckdb_type: str) -> pa.DataType:
    return pa.float64() if duckdb_type.startswith("DECIMAL") else TYPES[duckdb_type]


def _day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@pytest.fixture(scope="module")
def clean() -> dict[str, pa.Table]:
    """Four months of a small clean world, including two campaign days."""
    return generate(CLEAN, _day(-3), _day(120))


@pytest.fixture(scope="module")
def dirty() -> dict[str, pa.Table]:
    return generate(DIRTY, _day(0), _day(90), tables=["customers", "orders", "order_items"])


def test_schema_matches_contract(clean: dict[str, pa.Table]) -> None:
    assert set(clean) == set(TABLE_NAMES) == set(TABLE_ORDER)
    for name, spec in RAW_TABLES.items():
        table = clean[name]
        assert table.column_names == [*spec.column_names, "_partition_date"], name
        for column in spec.columns:
            assert table.schema.field(column.name).type == _arrow_type(column.type), (name, column.name)
        assert table.schema.field("_partition_date").type == pa.date32()
        assert table.num_rows > 0, name


def test_empty_ranges_keep_the_schema() -> None:
    before = generate(CLEAN, _day(-30), _day(-1))
    for name, table in before.items():
        assert table.num_rows == 0, name
        assert table.column_names == [*RAW_TABLES[name].column_names, "_partition_date"]
    reversed_range = generate(CLEAN, _day(10), _day(5), tables=["orders"])
    assert reversed_range["orders"].num_rows == 0


def test_partition_days_and_sorting(clean: dict[str, pa.Table]) -> None:
    for name, spec in RAW_TABLES.items():
        table = clean[name]
        part = table["_partition_date"].to_pylist()
        assert min(part) >= START and max(part) <= _day(120), name
        if spec.date_column is not None:
            values = pc.cast(table[spec.date_column], pa.date32()).to_pylist()
            assert values == part, name
        resorted = table.sort_by([("_partition_date", "ascending")] + [(k, "ascending") for k in spec.key])
        assert resorted.equals(table), name


def test_keys_unique_and_not_null(clean: dict[str, pa.Table]) -> None:
    for name, spec in RAW_TABLES.items():
        table = clean[name]
        for key in spec.key:
            assert table[key].null_count == 0, (name, key)
        keys = table.group_by(list(spec.key)).aggregate([([], "count_all")])
        assert keys.num_rows == table.num_rows, name


def test_orders_reference_known_customers_and_skus(clean: dict[str, pa.Table]) -> None:
    customers = clean["customers"]
    signup = dict(zip(customers["customer_id"].to_pylist(), customers["signup_date"].to_pylist(), strict=True))
    orders = clean["orders"]
    for customer, ordered_day in zip(
        orders["customer_id"].to_pylist(), orders["_partition_date"].to_pylist(), strict=True
    ):
        assert customer in signup and signup[customer] <= ordered_day
    products = clean["products"]
    launch = dict(zip(products["sku"].to_pylist(), products["launch_date"].to_pylist(), strict=True))
    items = clean["order_items"]
    for sku, day in zip(items["sku"].to_pylist(), items["_partition_date"].to_pylist(), strict=True):
        assert sku in launch and launch[sku] <= day
    assert set(items["order_id"].to_pylist()) == set(orders["order_id"].to_pylist())
    factories = set(clean["factories"]["factory_id"].to_pylist())
    assert set(products["factory_id"].to_pylist()) <= factories
    # First order on the signup day, in the acquisition channel.
    first = orders.filter(pc.ends_with(orders["order_id"], "-001"))
    assert first.num_rows == customers.num_rows
    channel = dict(zip(customers["customer_id"].to_pylist(), customers["acquisition_channel"].to_pylist(), strict=True))
    for customer, day, ch in zip(
        first["customer_id"].to_pylist(),
        first["_partition_date"].to_pylist(),
        first["channel"].to_pylist(),
        strict=True,
    ):
        assert signup[customer] == day and channel[customer] == ch


def test_contacts_only_to_signed_up_customers(clean: dict[str, pa.Table]) -> None:
    customers = clean["customers"]
    signup = dict(zip(customers["customer_id"].to_pylist(), customers["signup_date"].to_pylist(), strict=True))
    contacts = clean["contact_log"]
    assert set(contacts["channel"].to_pylist()) <= {"sms", "email", "phone"}
    for customer, day in zip(contacts["customer_id"].to_pylist(), contacts["_partition_date"].to_pylist(), strict=True):
        assert customer in signup and signup[customer] < day


def test_amounts_consistent_with_items(clean: dict[str, pa.Table]) -> None:
    orders = clean["orders"]
    items = clean["order_items"]
    cents = {
        name: np.rint(items[name].to_numpy() * 100).astype(np.int64) for name in ("list_unit_price", "paid_unit_price")
    }
    qty = items["quantity"].to_numpy().astype(np.int64)
    assert (qty > 0).all()
    assert (cents["paid_unit_price"] <= cents["list_unit_price"]).all()
    per_line = pa.table(
        {
            "order_id": items["order_id"],
            "gross": qty * cents["list_unit_price"],
            "net": qty * cents["paid_unit_price"],
        }
    )
    sums = per_line.group_by("order_id").aggregate([("gross", "sum"), ("net", "sum")])
    by_order = dict(
        zip(
            sums["order_id"].to_pylist(),
            zip(sums["gross_sum"].to_pylist(), sums["net_sum"].to_pylist(), strict=True),
            strict=True,
        )
    )
    gross = np.rint(orders["gross_amount"].to_numpy() * 100).astype(np.int64)
    net = np.rint(orders["net_amount"].to_numpy() * 100).astype(np.int64)
    discount = np.rint(orders["discount_amount"].to_numpy() * 100).astype(np.int64)
    assert (gross - net == discount).all() and (discount >= 0).all()
    for order_id, g, n in zip(orders["order_id"].to_pylist(), gross, net, strict=True):
        assert by_order[order_id] == (g, n)
    for column in ("gross_amount", "net_amount", "discount_amount"):
        values = orders[column].to_numpy()
        assert np.allclose(values, np.round(values, 2))


def test_status_and_campaigns(clean: dict[str, pa.Table]) -> None:
    orders = clean["orders"]
    status = np.array(orders["status"].to_pylist())
    assert set(status) == {"paid", "cancelled", "refunded"}
    assert 0.03 <= (status != "paid").mean() <= 0.07
    codes = orders.filter(pc.is_valid(orders["campaign_code"]))
    assert set(codes["campaign_code"].to_pylist()) == {"1111", "1212"}
    for code, day in zip(codes["campaign_code"].to_pylist(), codes["_partition_date"].to_pylist(), strict=True):
        assert day.strftime("%m%d") == code
    # Campaign orders are deeply discounted.
    assert (codes["discount_amount"].to_numpy() >= 0.29 * codes["gross_amount"].to_numpy() - 0.05).all()


@pytest.mark.parametrize("offset", [0, 10, 40, 101])
def test_purity_day_alone_equals_day_in_range(offset: int) -> None:
    day = _day(offset)
    names = ["customers", "orders", "order_items", "contact_log", "products", "purchase_orders"]
    names += ["deliveries", "inspections", "material_purchases", "factories"]
    alone = generate(CLEAN, day, day, tables=names)
    window = generate(CLEAN, day - dt.timedelta(days=30), day + dt.timedelta(days=30), tables=names)
    for name in names:
        part = window[name].filter(pc.equal(window[name]["_partition_date"], pa.scalar(day, pa.date32())))
        assert alone[name].equals(part), (name, day)


def test_purity_with_dirty_rows() -> None:
    day = _day(40)
    alone = generate(DIRTY, day, day, tables=["orders", "order_items", "customers"])
    window = generate(DIRTY, _day(30), _day(50), tables=["orders", "order_items", "customers"])
    for name, table in alone.items():
        part = window[name].filter(pc.equal(window[name]["_partition_date"], pa.scalar(day, pa.date32())))
        assert table.equals(part), name


def test_determinism() -> None:
    a = generate(CLEAN, _day(0), _day(20))
    b = generate(CLEAN, _day(0), _day(20))
    for name in a:
        assert a[name].equals(b[name]), name
    other = generate(SimulatorConfig(seed=8, scale=0.2, start_date=START), _day(0), _day(20))
    for name in ("customers", "orders", "order_items", "purchase_orders", "material_purchases"):
        assert not a[name].equals(other[name]), name


def test_days_after_world_end_keep_going() -> None:
    config = SimulatorConfig(seed=7, scale=0.05, start_date=START, days=60)
    later = generate(config, _day(200), _day(203), tables=["customers", "orders", "inspections", "contact_log"])
    for name, table in later.items():
        assert table.num_rows > 0, name


def test_progress_is_reported() -> None:
    messages: list[str] = []
    generate(CLEAN, _day(0), _day(30), tables=["orders"], progress=messages.append)
    assert len(messages) >= 5
    assert all(isinstance(m, str) for m in messages)


def test_unknown_table_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown table"):
        generate(CLEAN, _day(0), _day(1), tables=["nope"])


def _defects(tables: dict[str, pa.Table]) -> dict[str, int]:
    orders, items, customers = tables["orders"], tables["order_items"], tables["customers"]
    known = set(generate(CLEAN, START, _day(120), tables=["products"])["products"]["sku"].to_pylist())
    day_start = pc.cast(orders["_partition_date"], pa.timestamp("us"))
    far = pc.sum(pc.greater(pc.days_between(day_start, orders["ordered_at"]), 300)).as_py() or 0
    skus = [s for s in items["sku"].to_pylist() if s is not None]
    return {
        "order_duplicates": orders.num_rows - orders.group_by(orders.column_names).aggregate([]).num_rows,
        "item_duplicates": items.num_rows - items.group_by(items.column_names).aggregate([]).num_rows,
        "customer_duplicates": customers.num_rows - customers.group_by(customers.column_names).aggregate([]).num_rows,
        "null_customer_id": orders["customer_id"].null_count,
        "null_order_id": orders["order_id"].null_count + items["order_id"].null_count,
        "null_sku": items["sku"].null_count,
        "negative_quantity": pc.sum(pc.less(items["quantity"], 0)).as_py() or 0,
        "future_timestamp": far,
        "unknown_sku": sum(1 for s in skus if s not in known),
    }


def test_clean_world_has_no_defects(clean: dict[str, pa.Table]) -> None:
    assert all(v == 0 for v in _defects(clean).values()), _defects(clean)


def test_dirty_world_has_every_defect_kind(dirty: dict[str, pa.Table]) -> None:
    defects = _defects(dirty)
    assert all(v > 0 for v in defects.values()), defects
    orders = dirty["orders"]
    assert defects["order_duplicates"] < 0.05 * orders.num_rows
    unknown = [s for s in dirty["order_items"]["sku"].to_pylist() if s is not None and "UNKNOWN" in s]
    assert unknown and all(s.startswith("SKU-UNKNOWN-") for s in unknown)


def test_the_campaign_calendar_seed_holds_the_simulated_campaign_days():
    """dbt/seeds/campaign_calendar.csv (what mart_campaign_notify_list reads) lists exactly the days the simulator
    plants campaigns on, with their codes, for every year it covers."""
    import csv

    from dagster_project.sources.simulator import CAMPAIGNS

    seed = Path(__file__).resolve().parent.parent / "dbt" / "seeds" / "campaign_calendar.csv"
    with open(seed, newline="", encoding="utf-8") as f:
        calendar = {(dt.date.fromisoformat(r["campaign_date"]), r["campaign_code"]) for r in csv.DictReader(f)}
    years = {day.year for day, _ in calendar}
    assert years == set(range(min(years), max(years) + 1)) and max(years) >= 2028
    assert calendar == {(dt.date(y, m, d), code) for y in years for m, d, code in CAMPAIGNS}
