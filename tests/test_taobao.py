"""Taobao / Tmall seller-centre exports (LANDING_DIR/taobao/): the order and order-detail exports as downloaded (GBK,
="..." order numbers, ' phones, 元 amounts) build every customer mart; expected figures come from the fixture model
(tests/export_fixtures.py), never through the adapter."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import pytest

from dagster_project.sources import files
from tests.conftest import run_cli
from tests.export_fixtures import taobao_expected, taobao_orders, write_taobao
from tests.test_files_source import load, settings_for


def _raw_figures(con) -> tuple:
    return con.execute(
        "select count(*) filter (where status = 'paid'), sum(net_amount) filter (where status = 'paid'), "
        "count(distinct customer_id) filter (where status = 'paid') from raw.orders"
    ).fetchall()[0]


def test_taobao_exports_build_every_customer_mart_and_a_newer_export_wins(tmp_path):
    orders = taobao_orders()
    landing = tmp_path / "landing"
    order_file, detail_file = write_taobao(landing / "taobao", orders, stamp="202406210930")
    expected = taobao_expected(orders)
    assert expected.orders_by_status.keys() == {"paid", "cancelled", "refunded"} and expected.paid_orders > 100

    env = {"SOURCE": "files", "LANDING_DIR": str(landing)}
    build = run_cli(tmp_path / "data", "build", env=env)
    assert build.returncode == 0, build.output[-3000:]
    figures = "select count(*), count(*) filter (where orders_count > 0), sum(net_revenue) from marts.dim_customers"
    assert build.query(figures)[0] == (expected.customers, expected.buyers, expected.revenue)
    by_status = dict(build.query("select status, count(*) from marts.fct_orders group by 1"))
    assert by_status == expected.orders_by_status
    assert build.scalar("select count(*) from marts.mart_customer_rfm where is_current") == expected.buyers
    # every export row is in raw or set aside with its rule (unpaid orders and their lines)
    placed = build.query(
        """
        select file_ref, sum(n) from (
            select regexp_extract(_source, '^(.*):[0-9]+$', 1) as file_ref, count(*) as n from raw.orders group by 1
            union all select regexp_extract(_source, '^(.*):[0-9]+$', 1), count(*) from raw.order_items group by 1
            union all select file_ref, count(*) from quarantine.file_rows group by 1
        ) group by 1 order by 1
        """,
        db="build",
    )
    lines = sum(len(o.lines) for o in orders)
    assert placed == [(f"taobao/{detail_file.name}", lines), (f"taobao/{order_file.name}", len(orders))]
    unpaid = sum(o.status is None for o in orders)
    assert dict(build.query("select rule, count(*) from quarantine.file_rows group by 1", db="build")) == {
        "unpaid": unpaid,
        "order set aside": sum(len(o.lines) for o in orders if o.status is None),
    }
    # PII: neither the buyer nicknames nor the phones reach the serving file
    nicks = {o.nick for o in orders}
    published = {
        value
        for (table,) in build.query("select table_name from duckdb_tables() where schema_name = 'marts'")
        for (column,) in build.query(
            "select column_name from duckdb_columns() where table_name = ? and data_type = 'VARCHAR'", [table]
        )
        for (value,) in build.query(f'select distinct "{column}" from marts."{table}"')
    }
    assert not nicks & published and not {o.phone for o in orders} & published

    # A newer export of an overlapping range (days 10..25): statuses changed (paid -> refunded, unpaid -> paid) and
    # new orders. Loading its days updates those orders and duplicates nothing.
    newer = [copy.deepcopy(o) for o in orders if o.created.date() >= dt.date(2024, 6, 10)]
    changed = [o for o in newer if o.status == "paid"][:5]
    for o in changed:
        o.status_text, o.close_reason, o.refund = "交易关闭", "买家申请退款", o.goods + o.postage
    now_paid = [o for o in newer if o.status is None][:3]
    for o in now_paid:
        o.status_text, o.paid_at = "买家已付款，等待卖家发货", o.created + dt.timedelta(hours=1)
    fresh = taobao_orders(seed=99, count=30, first_day=dt.date(2024, 6, 21), days=5)
    for i, o in enumerate(fresh):
        o.number = str(2930679858170647 + i)
    newer += fresh
    write_taobao(landing / "taobao", newer, stamp="202406260800", seed=2)
    truth = {o.number: o for o in orders} | {o.number: o for o in newer}
    expected = taobao_expected(list(truth.values()))
    again = run_cli(tmp_path / "data", "backfill", env={**env, "FROM": "2024-06-10", "TO": "2024-06-25"})
    assert again.returncode == 0, again.output[-3000:]
    assert build.query(figures)[0] == (expected.customers, expected.buyers, expected.revenue)
    statuses = dict(build.query("select order_id, status from marts.fct_orders"))
    assert len(statuses) == sum(o.status is not None for o in truth.values())
    assert all(statuses[o.number] == "refunded" for o in changed)
    assert all(statuses[o.number] == "paid" for o in now_paid)
    assert build.scalar("select count(*) - count(distinct order_id) from raw.orders", db="build") == 0
    # the older export's copies of the re-exported orders are set aside as superseded, each row still in one place
    superseded = build.scalar("select count(*) from quarantine.file_rows where rule = 'superseded'", db="build")
    assert superseded == sum(1 + len(o.lines) for o in orders if o.created.date() >= dt.date(2024, 6, 10))


def test_a_utf8_resave_loads_like_the_gbk_download(tmp_path):
    orders = taobao_orders(count=60)
    gbk, utf8 = tmp_path / "gbk", tmp_path / "utf8"
    write_taobao(gbk / "landing" / "taobao", orders)
    write_taobao(utf8 / "landing" / "taobao", orders, encoding="utf-8-sig")
    results = []
    for root in (gbk, utf8):
        settings = settings_for(root)
        con = load(settings, *files.date_range(settings))
        results.append(
            (
                con.execute("select * exclude (_load_id, _loaded_at) from raw.orders order by order_id").fetchall(),
                con.execute("select * exclude (_load_id, _loaded_at) from raw.order_items order by all").fetchall(),
                con.execute("select encoding from meta.file_loads order by file_ref").fetchall(),
            )
        )
        con.close()
    assert results[0][:2] == results[1][:2] and len(results[0][0]) > 0
    assert results[0][2] == [("gbk",), ("gbk",)] and results[1][2] == [("utf-8-sig",), ("utf-8-sig",)]
    expected = taobao_expected(orders)
    paid = [r for r in results[0][0] if r[5] == "paid"]
    assert (len(paid), sum(r[8] for r in paid)) == (expected.paid_orders, expected.revenue)


def _drop_orders(tmp_path: Path, orders, **kwargs) -> tuple[Path, Path | None]:
    return write_taobao(tmp_path / "landing" / "taobao", orders, **kwargs)


def test_a_missing_required_column_is_one_line_naming_the_file_and_column(tmp_path):
    order_file, _ = _drop_orders(tmp_path, taobao_orders(count=10))
    text = order_file.read_bytes().decode("gbk").replace("买家实际支付金额", "实付", 1)
    order_file.write_bytes(text.encode("gbk"))
    settings = settings_for(tmp_path)
    with pytest.raises(files.LandingError) as error:
        load(settings, dt.date(2024, 6, 1), dt.date(2024, 6, 20))
    message = str(error.value)
    assert "\n" not in message and str(order_file) in message and "买家实际支付金额" in message


def test_a_file_of_another_kind_in_the_folder_is_one_line_naming_it(tmp_path):
    _drop_orders(tmp_path, taobao_orders(count=10))
    stray = tmp_path / "landing" / "taobao" / "orders_export_1.csv"
    stray.write_text("Name,Email,Financial Status\n#1001,a@b.com,paid\n", encoding="utf-8")
    build = run_cli(tmp_path / "data", "build", env={"SOURCE": "files", "LANDING_DIR": str(tmp_path / "landing")})
    assert build.returncode == 2
    error = build.output.strip().splitlines()[-1]
    assert error.startswith("error: ") and str(stray) in error and "not a Taobao order export" in error


def test_mixed_encodings_in_one_file_are_one_line_naming_it_or_a_row_set_aside(tmp_path):
    """A GBK export with a row pasted in as UTF-8: undecodable as either is a one-line error naming the file; when
    the UTF-8 bytes happen to be valid GBK (交易成功 reads as 浜ゆ槗鎴愬姛), the garbled status is set aside."""
    orders = taobao_orders(count=10)
    orders[2].status_text = "等待买家付款"
    order_file, _ = _drop_orders(tmp_path, orders)
    data = order_file.read_bytes()
    order_file.write_bytes(data.replace("等待买家付款".encode("gbk"), "等待买家付款".encode(), 1))
    with pytest.raises(files.LandingError, match=re.escape(str(order_file)) + ".*cannot be read as utf-8 or gbk"):
        files.date_range(settings_for(tmp_path))

    orders[2].status_text = "交易成功"
    order_file, _ = _drop_orders(tmp_path, orders)
    data = order_file.read_bytes()
    order_file.write_bytes(data.replace("交易成功".encode("gbk"), "交易成功".encode(), 1))
    settings = settings_for(tmp_path)
    con = load(settings, *files.date_range(settings))
    aside = con.execute("select detail from quarantine.file_rows where rule = 'unknown status'").fetchall()
    assert len(aside) == 1 and "浜ゆ槗鎴愬姛" in aside[0][0]


def test_an_unknown_status_is_set_aside_with_its_text_and_its_lines_follow(tmp_path):
    orders = taobao_orders(count=20)
    orders[3].status_text = "交易异常"  # not a status the adapter knows
    _drop_orders(tmp_path, orders)
    settings = settings_for(tmp_path)
    con = load(settings, *files.date_range(settings))
    aside = con.execute(
        "select rule, detail, line from quarantine.file_rows where file_ref like 'taobao/ExportOrderList%' "
        "and rule = 'unknown status'"
    ).fetchall()
    assert len(aside) == 1 and "交易异常" in aside[0][1] and aside[0][2] == 5  # header + 4th order
    assert con.execute("select count(*) from raw.orders where order_id = ?", [orders[3].number]).fetchall() == [(0,)]
    lines = con.execute(
        "select count(*) from quarantine.file_rows where rule = 'order set aside' and content like ?",
        [f"%{orders[3].number}%"],
    ).fetchall()[0][0]
    assert lines == len(orders[3].lines)
    assert _raw_figures(con)[1] == taobao_expected([o for i, o in enumerate(orders) if i != 3]).revenue
