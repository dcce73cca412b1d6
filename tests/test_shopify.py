"""Shopify order exports (LANDING_DIR/shopify/): Admin → Orders → Export CSV as downloaded (one row per line item,
order fields on an order's first row, UTC offsets) build every customer mart; expected figures come from the
fixture model (tests/export_fixtures.py), never through the adapter."""

from __future__ import annotations

import copy
import datetime as dt
import os

import pytest

from dagster_project.settings import load_settings
from dagster_project.sources import files
from tests.conftest import run_cli
from tests.export_fixtures import shopify_expected, shopify_orders, write_shopify
from tests.test_files_source import load, settings_env

SHOP_TZ = "America/New_York"


def _settings(tmp_path):
    return load_settings({**settings_env(tmp_path), "SHOP_TZ": SHOP_TZ})


def test_shopify_export_builds_every_customer_mart_in_the_shop_time_zone(tmp_path):
    orders = shopify_orders()
    landing = tmp_path / "landing"
    export = write_shopify(landing / "shopify", orders)
    expected = shopify_expected(orders)
    assert expected.orders_by_status.keys() == {"paid", "cancelled", "refunded"} and expected.paid_orders > 80

    build = run_cli(
        tmp_path / "data", "build", env={"SOURCE": "files", "LANDING_DIR": str(landing), "SHOP_TZ": SHOP_TZ}
    )
    assert build.returncode == 0, build.output[-3000:]
    figures = "select count(*), count(*) filter (where orders_count > 0), sum(net_revenue) from marts.dim_customers"
    assert build.query(figures)[0] == (expected.customers, expected.buyers, expected.revenue)
    assert dict(build.query("select status, count(*) from marts.fct_orders group by 1")) == expected.orders_by_status
    # the order day is the day in SHOP_TZ (an order at 02:00 +0800 is the day before in New York)
    days = dict(build.query("select order_id, ordered_date from marts.fct_orders"))
    assert days == {o.name: o.day(SHOP_TZ) for o in orders if o.status}
    assert any(o.day(SHOP_TZ) != o.created.date() for o in orders if o.status)
    # every line-item row is in raw.order_items or set aside (pending / authorized orders: unpaid)
    lines = build.scalar("select count(*) from raw.order_items", db="build")
    aside = dict(build.query("select rule, count(*) from quarantine.file_rows group by 1", db="build"))
    assert lines + sum(aside.values()) == sum(len(o.lines) for o in orders)
    assert aside == {"unpaid": sum(len(o.lines) for o in orders if o.status is None)}
    summary = build.query("select rows_in, rows_loaded, rows_set_aside from meta.file_load_summary", db="build")
    assert summary == [(sum(len(o.lines) for o in orders), lines, aside["unpaid"])]
    # PII: no email address reaches the serving file (the masked form, b***@example.com, is what CRM sees)
    emails = sorted({o.email.lower() for o in orders})
    for (table,) in build.query("select table_name from duckdb_tables() where schema_name = 'marts'"):
        for (column,) in build.query(
            "select column_name from duckdb_columns() where table_name = ? and data_type = 'VARCHAR'", [table]
        ):
            leaked = build.scalar(f'select count(*) from marts."{table}" where lower("{column}") in ?', [emails])
            assert leaked == 0, (table, column)
    assert build.scalar("select count(*) from marts.dim_customers where email_masked like 'b***@example.com'") > 0
    assert export.exists()


def test_a_newer_export_updates_statuses_and_duplicates_nothing(tmp_path):
    orders = shopify_orders(count=60)
    write_shopify(tmp_path / "landing" / "shopify", orders, name="orders_export.csv")
    settings = _settings(tmp_path)
    first, last = files.date_range(settings)
    load(settings, first, last).close()
    newer = [copy.deepcopy(o) for o in orders[20:]]
    refunded = [o for o in newer if o.financial_status == "paid"][:4]
    for o in refunded:
        o.financial_status = "refunded"
    newer_file = write_shopify(tmp_path / "landing" / "shopify", newer, name="orders_export_1.csv")
    later = os.stat(newer_file).st_mtime + 60  # exported later: its modification time says so
    os.utime(newer_file, (later, later))
    con = load(settings, first, last)
    truth = {o.name: o for o in orders} | {o.name: o for o in newer}
    assert dict(con.execute("select order_id, status from raw.orders").fetchall()) == {
        name: o.status for name, o in truth.items() if o.status
    }
    assert con.execute("select count(*) - count(distinct (order_id, line_number)) from raw.order_items").fetchall() == [
        (0,)
    ]
    superseded = con.execute("select count(*) from quarantine.file_rows where rule = 'superseded'").fetchall()[0][0]
    assert superseded == sum(len(o.lines) for o in orders[20:])


def test_a_missing_column_names_the_file_and_the_column(tmp_path):
    export = write_shopify(tmp_path / "landing" / "shopify", shopify_orders(count=5))
    export.write_text(export.read_text().replace("Financial Status", "Status", 1))
    with pytest.raises(files.LandingError) as error:
        files.date_range(_settings(tmp_path))
    assert "\n" not in str(error.value) and str(export) in str(error.value) and "Financial Status" in str(error.value)


def test_an_unknown_status_is_set_aside_with_its_text_for_every_line(tmp_path):
    orders = shopify_orders(count=12)
    orders[1].financial_status = "chargeback"
    export = write_shopify(tmp_path / "landing" / "shopify", orders)
    settings = _settings(tmp_path)
    con = load(settings, *files.date_range(settings))
    rows = con.execute(
        "select rule, detail from quarantine.file_rows where rule not in ('unpaid') order by line"
    ).fetchall()
    assert rows and all(rule == "unknown status" and "chargeback" in detail for rule, detail in rows)
    assert len(rows) == len(orders[1].lines)
    assert con.execute("select count(*) from raw.orders where order_id = ?", [orders[1].name]).fetchall() == [(0,)]
    assert export.exists() and dt.date(2024, 6, 1) <= files.date_range(settings)[0]
