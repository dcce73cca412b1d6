"""The TPC-H mapping of the bench at a tiny scale factor: the calendar lands inside the warehouse's partitions, the
full build's landing folder ends at AS_OF, and the daily runs' days are set aside for the daily runs."""

from __future__ import annotations

import datetime as dt

import duckdb

from bench import tpch
from dagster_project.settings import PARTITIONS_START
from dagster_project.sources.contract import RAW_TABLES


def test_tpch_maps_onto_the_contract_inside_the_partitions_and_cut_at_as_of(tmp_path):
    raw = tpch.generate(0.01, tmp_path / "tpch")
    counts = tpch.map_to_raw(raw, tmp_path / "mapped")
    landed = tpch.write_landing(tmp_path / "mapped", tmp_path / "landing", tmp_path / "next_day")
    assert counts["order_items"] == counts["deliveries"] > 50_000 and counts["suppliers"] == 0
    assert landed["deliveries"] < counts["deliveries"]  # receipts after the daily day are not landed
    con = duckdb.connect()

    def days(folder: str, table: str) -> tuple[dt.date, dt.date, int]:
        column = RAW_TABLES[table].date_column or "ordered_at"
        source = tmp_path / folder / table / "*.parquet"
        query = f"select min(cast({column} as date)), max(cast({column} as date)), count(*) from '{source}'"
        if table == "order_items":  # no date column: the day is in each file's name
            query = (
                "select min(d), max(d), sum(n) from (select cast(regexp_extract(filename, "
                "'(\\d{4}-\\d{2}-\\d{2})') as date) as d, count(*) as n "
                f"from read_parquet('{source}', filename = true) group by all)"
            )
        return con.execute(query).fetchone()

    for table in ("orders", "order_items", "purchase_orders", "deliveries", "inspections"):
        first, last, rows = days("landing", table)
        assert PARTITIONS_START <= first and last <= tpch.AS_OF and rows > 0, table
        first, last, rows = days("next_day", table)  # each daily day in a file of its own
        assert (first, last) == (tpch.DAILY_DAYS[0], tpch.DAILY_DAYS[-1]) and rows > 0, table
        files = sorted(p.name for p in (tmp_path / "next_day" / table).iterdir())
        assert files == [f"{table}-{day}.parquet" for day in tpch.DAILY_DAYS], table
        assert [
            c
            for c in con.execute(f"select * from '{tmp_path / 'landing' / table / '*.parquet'}' limit 0")
            .fetchdf()
            .columns
        ] == RAW_TABLES[table].column_names
    assert tpch.LAST_DAY.weekday() == dt.date(1998, 8, 2).weekday()  # whole weeks: ISO weeks keep their shape
    assert [(day - tpch.AS_OF).days for day in tpch.DAILY_DAYS] == [1, 2, 3]  # the days after the full build's
