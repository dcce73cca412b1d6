"""Quarantine and row accounting at the loader (warehouse/raw.py + rules.py) on a real DuckDB, fed by the real
simulator (DIRTY) and by a corpus of malformed text inputs, as the landing-files source delivers them."""

from __future__ import annotations

import datetime as dt
import random
import shutil

import duckdb
import pyarrow as pa
import pytest

from dagster_project.sources import simulator
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw

START, END = dt.date(2026, 4, 1), dt.date(2026, 6, 29)
DAY = dt.date(2026, 6, 30)  # the corpus day, loaded on top of the clean world


def _world(dirty: float) -> dict[str, pa.Table]:
    config = simulator.SimulatorConfig(seed=7, scale=0.05, start_date=START, dirty_rate=dirty)
    return simulator.generate(config, START, END)


def _load_all(con: duckdb.DuckDBPyConnection, data: dict[str, pa.Table], order: list[str], load_id: str) -> None:
    raw.ensure_schema(con)
    for name in order:
        raw.load_table(con, RAW_TABLES[name], data[name], START, END, load_id, "simulator")


def _accounting(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        """
        select h.table_name, h.load_id, h.rows_in, h.rows_loaded, h.rows_quarantined
        from meta.load_history h
        where h.rows_in <> h.rows_loaded + h.rows_quarantined
        """
    ).fetchall()


@pytest.fixture(scope="module")
def dirty_world() -> dict[str, pa.Table]:
    return _world(0.2)


def test_every_defect_kind_lands_in_quarantine_with_rule_and_source(dirty_world):
    con = duckdb.connect()
    _load_all(con, dirty_world, raw.load_order(dirty_world), "dirty-1")
    found = {
        (table, rule)
        for table in RAW_TABLES
        for (rule,) in con.execute(f"select distinct _rule from quarantine.{table}").fetchall()
    }
    # the simulator's defect kinds (sources/simulator.py, dirty_rate) and the rule each must land under
    expected = {
        ("customers", "exact duplicate"),
        ("customers", "null key"),
        ("orders", "exact duplicate"),
        ("orders", "null key"),
        ("orders", "null customer_id"),
        ("orders", "future timestamp"),
        ("order_items", "exact duplicate"),
        ("order_items", "null key"),
        ("order_items", "null sku"),
        ("order_items", "negative or zero quantity"),
        ("order_items", "unknown sku"),
        ("order_items", "unknown order"),
    }
    assert expected <= found, expected - found
    bad_sources = con.execute(
        """
        select count(*) from quarantine.orders
        where _source is null or _load_id <> 'dirty-1' or _partition_date is null or _rule is null
        """
    ).fetchone()[0]
    assert bad_sources == 0
    assert con.execute("select min(_source) from quarantine.orders").fetchone()[0].startswith("simulator:2026-")
    # nothing vanished: every incoming row is in raw or in quarantine, and the history says so
    assert _accounting(con) == []
    for name, table in dirty_world.items():
        loaded = con.execute(f"select count(*) from raw.{name}").fetchone()[0]
        quarantined = con.execute(f"select count(*) from quarantine.{name}").fetchone()[0]
        assert loaded + quarantined == table.num_rows, name
    # the rules hold in what was loaded
    assert con.execute("select count(*) from raw.order_items where quantity <= 0").fetchone()[0] == 0
    assert con.execute("select count(*) from raw.orders where ordered_at > '2026-07-01'").fetchone()[0] == 0
    assert (
        con.execute("select count(*) from raw.order_items where sku not in (select sku from raw.products)").fetchone()[
            0
        ]
        == 0
    )


def test_load_order_and_reloads_do_not_change_the_outcome(dirty_world):
    def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
        out = {}
        for name in RAW_TABLES:
            out[f"raw.{name}"] = con.execute(
                f"select * exclude (_load_id, _loaded_at) from raw.{name} order by all"
            ).fetchall()
            out[f"quarantine.{name}"] = con.execute(
                f"select * exclude (_load_id, _quarantined_at) from quarantine.{name} order by all"
            ).fetchall()
        return out

    first = duckdb.connect()
    _load_all(first, dirty_world, raw.load_order(dirty_world), "a")
    second = duckdb.connect()
    shuffled = list(dirty_world)
    random.Random(3).shuffle(shuffled)  # facts before their dimensions: waiting rows are released later
    _load_all(second, dirty_world, shuffled, "b")
    _load_all(second, dirty_world, raw.load_order(dirty_world), "c")  # the same days again: replaced, not doubled
    assert snapshot(first) == snapshot(second)
    assert _accounting(second) == []


# ---------------------------------------------------------------------------------------------------------------
# The malformed-input corpus: text rows as a CSV export delivers them (all VARCHAR, with file:line sources).
# Each case: (name, table, column overrides of one row, expected outcome). Outcome is a quarantine rule, or
# "loaded" (accepted and loaded), or an exception type with a one-line message.
# ---------------------------------------------------------------------------------------------------------------

GOOD = {
    "orders": {
        "order_id": "O-CORPUS-1",
        "customer_id": None,  # filled from the world
        "ordered_at": "2026-06-30 10:15:00",
        "channel": "web",
        "campaign_code": None,
        "status": "paid",
        "gross_amount": "1299.00",
        "discount_amount": "0.00",
        "net_amount": "1299.00",
    },
    "order_items": {
        "order_id": None,  # an order of the world
        "line_number": "9",
        "sku": None,
        "quantity": "1",
        "list_unit_price": "1299.00",
        "paid_unit_price": "1299.00",
    },
    "contact_log": {
        "contact_id": "K-CORPUS-1",
        "customer_id": None,
        "channel": "sms",
        "sent_at": "2026-06-30 09:00:00",
        "purpose": "follow_up",
    },
    "suppliers": {
        "supplier_id": "S-CORPUS",
        "supplier_name": "Corpus Leather",
        "material": "leather",
        "is_designated": "true",
        "onboarded_date": "2026-06-30",
    },
    "products": {
        "sku": "SKU-CORPUS",
        "category": "tote",
        "style": "corpus",
        "list_price": "899.00",
        "launch_date": "2026-06-30",
        "factory_id": None,
    },
}

CORPUS = [
    ("clean row", "orders", {}, "loaded"),
    (
        "encoding: non-breaking space and comma decimal",
        "orders",
        {"net_amount": "1\u00a0299,00"},
        "unparseable net_amount",
    ),
    ("encoding: mojibake in a text column is kept as text", "orders", {"channel": "wechatâ€™"}, "loaded"),
    ("wrong type: quantity as a word", "order_items", {"quantity": "two"}, "unparseable quantity"),
    ("wrong type: line number with decimals", "order_items", {"line_number": "1.5"}, "unparseable line_number"),
    ("impossible date", "orders", {"ordered_at": "2026-02-30 10:00:00"}, "unparseable ordered_at"),
    ("far-future date", "orders", {"ordered_at": "2099-01-01 00:00:00"}, "future timestamp"),
    ("date a few days ahead of its file", "contact_log", {"sent_at": "2026-07-05 08:00:00"}, "future timestamp"),
    ("negative quantity", "order_items", {"quantity": "-1"}, "negative or zero quantity"),
    ("zero quantity", "order_items", {"quantity": "0"}, "negative or zero quantity"),
    ("gift: paid price 0", "order_items", {"paid_unit_price": "0"}, "loaded"),
    ("sub-cent price is kept", "order_items", {"paid_unit_price": "0.001"}, "loaded"),
    ("price finer than DECIMAL(18,4)", "order_items", {"paid_unit_price": "0.00001"}, "unparseable paid_unit_price"),
    ("negative paid price", "order_items", {"paid_unit_price": "-0.01"}, "negative price"),
    ("negative list price", "products", {"list_price": "-10"}, "negative price"),
    ("negative amount", "orders", {"net_amount": "-5.00"}, "negative net_amount"),
    ("amount overflowing DECIMAL(14,2)", "orders", {"gross_amount": "1e30"}, "unparseable gross_amount"),
    ("unknown sku", "order_items", {"sku": "SKU-DOES-NOT-EXIST"}, "unknown sku"),
    ("unknown order", "order_items", {"order_id": "O-NOPE-001"}, "unknown order"),
    ("unknown customer", "contact_log", {"customer_id": "C9999999999"}, "unknown customer"),
    ("null customer", "orders", {"customer_id": None}, "null customer_id"),
    ("null key", "orders", {"order_id": None}, "null key"),
    ("blank key", "orders", {"order_id": "   "}, "null key"),
    ("null required column", "contact_log", {"purpose": None}, "null purpose"),
    ("unparseable boolean", "suppliers", {"is_designated": "maybe"}, "unparseable is_designated"),
    ("unparseable partition", "orders", {"_partition_date": "2026-13-01"}, "unparseable _partition_date"),
    ("row filed outside the load's days", "orders", {"_partition_date": "2026-07-02"}, "partition outside load range"),
    ("exact duplicate within the file", "orders", {"__copies": 2}, "exact duplicate"),
    ("missing column", "orders", {"__drop": "net_amount"}, ValueError),
    ("extra column is ignored", "orders", {"__extra": "coupon"}, "loaded"),
    ("empty file", "orders", {"__rows": 0}, "loaded"),
]


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "build.duckdb"
    con = duckdb.connect(str(path))
    world = _world(0.0)
    _load_all(con, world, raw.load_order(world), "world")
    con.close()
    return path


def _case_table(con, table: str, overrides: dict) -> pa.Table:
    row = dict(GOOD[table])
    if table in ("orders", "contact_log"):
        row["customer_id"] = con.execute("select min(customer_id) from raw.customers").fetchone()[0]
    if table == "order_items":
        row["order_id"] = con.execute("select min(order_id) from raw.orders").fetchone()[0]
        row["sku"] = con.execute("select min(sku) from raw.products").fetchone()[0]
    row["_partition_date"] = DAY.isoformat()
    row.update({k: v for k, v in overrides.items() if not k.startswith("__")})
    columns = [c for c in row if c != overrides.get("__drop")]
    if "__extra" in overrides:
        columns.append(overrides["__extra"])
        row[overrides["__extra"]] = "SUMMER10"
    copies = overrides.get("__copies", 1) if "__rows" not in overrides else overrides["__rows"]
    rows = [row] * copies
    return pa.table(
        {
            **{c: pa.array([r[c] for r in rows], pa.string()) for c in columns},
            "_source": pa.array([f"{table}/{DAY}.csv:{i + 2}" for i in range(copies)], pa.string()),
        }
    )


@pytest.mark.parametrize(("name", "table", "overrides", "outcome"), CORPUS, ids=[c[0] for c in CORPUS])
def test_malformed_input_ends_in_quarantine_with_reason_or_named_error(
    clean_db, tmp_path, name, table, overrides, outcome
):
    shutil.copy(clean_db, tmp_path / "case.duckdb")  # every case starts from the same clean world
    con = duckdb.connect(str(tmp_path / "case.duckdb"))
    try:
        data = _case_table(con, table, overrides)
        if isinstance(outcome, type):
            with pytest.raises(outcome) as error:
                raw.load_table(con, RAW_TABLES[table], data, DAY, DAY, "case", "files")
            message = str(error.value)
            assert "\n" not in message and f"raw.{table}" in message and overrides["__drop"] in message
            return
        stats = raw.load_table(con, RAW_TABLES[table], data, DAY, DAY, "case", "files")
        assert stats.rows_in == data.num_rows == stats.rows_loaded + stats.rows_quarantined
        rules = con.execute(
            f"select _rule, _source from quarantine.{table} where _load_id = 'case' order by _source"
        ).fetchall()
        if outcome == "loaded":
            assert rules == [] and stats.rows_loaded == data.num_rows
        else:
            assert rules, f"{name}: nothing quarantined"
            assert rules[-1] == (outcome, f"{table}/{DAY}.csv:{data.num_rows + 1}"), rules
    finally:
        con.close()


def test_duplicated_day_and_duplicates_of_rows_already_in_raw(clean_db, tmp_path):
    shutil.copy(clean_db, tmp_path / "case.duckdb")
    con = duckdb.connect(str(tmp_path / "case.duckdb"))
    try:
        data = _case_table(con, "orders", {})
        raw.load_table(con, RAW_TABLES["orders"], data, DAY, DAY, "day-1", "files")
        raw.load_table(con, RAW_TABLES["orders"], data, DAY, DAY, "day-2", "files")  # the same file again
        assert con.execute("select count(*) from raw.orders where order_id = 'O-CORPUS-1'").fetchone()[0] == 1
        # the same row filed again under the next day: an exact duplicate of a row already in raw
        next_day = DAY + dt.timedelta(days=1)
        again = data.set_column(
            data.column_names.index("_partition_date"), "_partition_date", pa.array([str(next_day)])
        )
        stats = raw.load_table(con, RAW_TABLES["orders"], again, next_day, next_day, "day-3", "files")
        assert (stats.rows_loaded, stats.rows_quarantined) == (0, 1)
        assert con.execute("select _rule from quarantine.orders where _load_id = 'day-3'").fetchone()[0] == (
            "exact duplicate"
        )
    finally:
        con.close()
