"""The built-in real data set: `make build SOURCE=online_retail` unpacks the UCI Online Retail export shipped in
samples/online_retail/ (305 daily files) and builds it; the published marts reproduce the reference figures of the
standard cleaning (samples/online_retail/README.md), and every export row is accounted for."""

from __future__ import annotations

import tarfile
from decimal import Decimal

import duckdb

from dagster_project.sources.samples import ONLINE_RETAIL_ARCHIVES
from tests.conftest import run_cli


def test_source_online_retail_reproduces_the_standard_cleaning(tmp_path):
    # the expected figures straight from the shipped archives (tarfile + DuckDB), not through the adapter
    reference = tmp_path / "reference"
    for archive in sorted(ONLINE_RETAIL_ARCHIVES.glob("*.tar.xz")):
        with tarfile.open(archive) as tar:
            tar.extractall(reference, filter="data")
    days = sorted(str(p) for p in reference.glob("*.csv"))
    assert len(days) == 305, f"expected the 305 daily files of Online Retail in {ONLINE_RETAIL_ARCHIVES}"
    expected_customers, expected_revenue, rows_in = duckdb.sql(
        f"""
        select
            count(distinct CustomerID) filter (where clean),
            round(sum(cast(Quantity as integer) * cast(UnitPrice as decimal(18, 4))) filter (where clean), 2),
            count(*)
        from (
            select *, CustomerID is not null and InvoiceNo not like 'C%'
                and cast(Quantity as integer) > 0 and cast(UnitPrice as decimal(18, 4)) > 0 as clean
            from read_csv({days}, all_varchar = true)
        )
        """
    ).fetchall()[0]

    landing = tmp_path / "landing"
    build = run_cli(tmp_path / "data", "build", env={"SOURCE": "online_retail", "LANDING_DIR": str(landing)})
    assert build.returncode == 0, build.output[-3000:]
    assert "online_retail: unpacked 305 day files" in build.output
    assert sorted(p.name for p in (landing / "online_retail").glob("*.csv")) == [p.rsplit("/", 1)[1] for p in days]

    customers, revenue = build.query("select count(*), sum(net_revenue) from marts.dim_customers")[0]
    assert customers == expected_customers == 4338  # the reference figures of the standard cleaning
    assert revenue == expected_revenue == Decimal("8911407.90")
    assert build.scalar("select count(*) from marts.fct_orders where is_paid") == 18532
    # every export row is in raw.order_items, quarantine.file_rows or a loader quarantine
    placed = build.scalar(
        "select (select count(*) from raw.order_items) + (select count(*) from quarantine.file_rows)"
        " + (select count(*) from quarantine.order_items)",
        db="build",
    )
    assert placed == rows_in == 541909
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

    # a daily run of a day already unpacked writes nothing new and leaves the published figures as they are
    again = run_cli(
        tmp_path / "data",
        "daily",
        env={"SOURCE": "online_retail", "LANDING_DIR": str(landing), "DATE": "2011-12-09"},
    )
    assert again.returncode == 0, again.output[-3000:]
    assert "unpacked" not in again.output
    assert build.query("select count(*), sum(net_revenue) from marts.dim_customers")[0] == (customers, revenue)


def test_online_retail_unpacks_only_up_to_the_run_day(tmp_path):
    """AS_OF / DATE bound what arrives: a build as of a day sees that day's exports and no later ones, and the
    next day's daily run brings exactly the next file, as a shop's daily export would."""
    import datetime as dt

    from dagster_project.sources.samples import unpack_online_retail

    written = unpack_online_retail(tmp_path, dt.date(2010, 12, 5))
    assert [p.name for p in written] == ["2010-12-01.csv", "2010-12-02.csv", "2010-12-03.csv", "2010-12-05.csv"]
    (tmp_path / "online_retail" / "2010-12-01.csv").write_text("edited by the user\n")
    written = unpack_online_retail(tmp_path, dt.date(2010, 12, 6))
    assert [p.name for p in written] == ["2010-12-06.csv"]
    assert (tmp_path / "online_retail" / "2010-12-01.csv").read_text() == "edited by the user\n"  # never clobbered
