"""The Online Retail adapter on the whole real export (305 daily files): the published marts reproduce the
reference figures of the standard cleaning (../shared/data/README.md), and every export row is accounted for."""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb

from tests.conftest import ONLINE_RETAIL, run_cli

RETAIL = ONLINE_RETAIL


def test_all_305_days_reproduce_the_standard_cleaning(tmp_path):
    days = sorted(RETAIL.glob("*.csv"))
    assert len(days) == 305, f"expected the 305 daily files of Online Retail in {RETAIL}"
    landing = tmp_path / "landing" / "online_retail"
    landing.mkdir(parents=True)
    for path in days:
        shutil.copy(path, landing)
    build = run_cli(tmp_path / "data", "build", env={"SOURCE": "files", "LANDING_DIR": str(landing.parent)})
    assert build.returncode == 0, build.output[-3000:]
    # the standard cleaning computed straight from the same files with DuckDB
    expected_customers, expected_revenue = duckdb.sql(
        f"""
        select count(distinct CustomerID), round(sum(cast(Quantity as integer) * cast(UnitPrice as decimal(18, 4))), 2)
        from read_csv({[str(p) for p in days]}, all_varchar = true)
        where CustomerID is not null and InvoiceNo not like 'C%'
            and cast(Quantity as integer) > 0 and cast(UnitPrice as decimal(18, 4)) > 0
        """
    ).fetchall()[0]
    customers, revenue = build.query("select count(*), sum(net_revenue) from marts.dim_customers")[0]
    assert customers == expected_customers == 4338  # the reference figures of the standard cleaning
    assert revenue == expected_revenue == Decimal("8911407.90")
    assert build.scalar("select count(*) from marts.fct_orders where is_paid") == 18532
    # every export row is in raw.order_items, quarantine.file_rows or a loader quarantine
    rows_in = duckdb.sql(f"select count(*) from read_csv({[str(p) for p in days]}, all_varchar = true)").fetchall()[0][
        0
    ]
    placed = build.scalar(
        "select (select count(*) from raw.order_items) + (select count(*) from quarantine.file_rows)"
        " + (select count(*) from quarantine.order_items)",
        db="build",
    )
    assert placed == rows_in
    rules = dict(build.query("select rule, count(*) from quarantine.file_rows group by 1", db="build"))
    assert rules["cancellation"] > 0 and rules["null customer"] > 0
    # supply marts (factories, suppliers, deliveries) have no data in this export: published, and empty
    supply = [
        t
        for (t,) in build.query("select table_name from duckdb_tables() where schema_name = 'marts'")
        if any(word in t for word in ("factor", "supplier", "deliver", "inspection"))
    ]
    for table in supply:
        assert build.scalar(f"select count(*) from marts.{table}") == 0, table
