"""Real-world daily operation (issue #43): late parents, gifts, missing days, mixed sources, AS_OF and early history
on tiny hand-made landing folders, through the real CLI where the behaviour lives there."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

CUSTOMERS = (
    "customer_id,signup_date,birth_year,gender,province,city,acquisition_channel,phone,email\n"
    "C1,2026-05-01,1990,F,,,web,,\n"
)
PRODUCTS = (
    "sku,category,style,list_price,launch_date,factory_id\n"
    "S1,tote,Aria,10.00,2026-05-01,\n"
    "S2,charm,Aria,0.0015,2026-05-01,\n"  # a sub-cent unit price: DECIMAL(12,2) rounded it to 0.00
)
ORDERS = "order_id,customer_id,ordered_at,channel,campaign_code,status,gross_amount,discount_amount,net_amount\n"
ITEMS = "order_id,line_number,sku,quantity,list_unit_price,paid_unit_price\n"


def drop(landing: Path, relative: str, content: str) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def test_an_item_a_day_before_its_order_is_in_fct_orders_after_the_daily_run_its_order_arrives_in(tmp_path):
    # item 1: the item of O2 is in day D's export, O2 itself in day D+1's. `make daily` D+1 must publish with it.
    # item 2 on the same builds: O1 has a gift line (paid 0) and a sub-cent line; both load, neither is a discount
    landing = tmp_path / "landing"
    drop(landing, "customers/c-2026-05-01.csv", CUSTOMERS)
    drop(landing, "products/p-2026-05-01.csv", PRODUCTS)
    drop(landing, "orders/o-2026-06-01.csv", ORDERS + "O1,C1,2026-06-01 10:00:00,web,,paid,21.50,10.00,11.50\n")
    lines = "O1,1,S1,1,10.00,10.00\nO1,2,S1,1,10.00,0\nO1,3,S2,1000,0.0015,0.0015\nO2,1,S1,2,10.00,10.00\n"
    drop(landing, "order_items/i-2026-06-01.csv", ITEMS + lines)
    # day D: O2's item waits in quarantine ("unknown order"); 1 of 2 rows is over the default 1 % tolerance
    env = {"SOURCE": "files", "LANDING_DIR": str(landing), "QUARANTINE_TOLERANCE": "0.5"}
    build = run_cli(tmp_path / "data", "build", env=env)
    assert build.returncode == 0, build.output[-3000:]
    waiting = "select order_id, _rule from quarantine.order_items"
    assert build.query(waiting, db="build") == [("O2", "unknown order")]
    prices = "select line_number, paid_unit_price::varchar from raw.order_items where order_id = 'O1' order by 1"
    assert build.query(prices, db="build") == [(1, "10.0000"), (2, "0.0000"), (3, "0.0015")]
    assert build.query("select items_count, discounted_items_count from marts.fct_orders") == [(3, 0)]
    share = (
        "select units, discounted_units, list_amount::varchar, discount_amount::varchar from marts.mart_discount_share"
    )
    assert build.query(share + " where dimension = 'sku' order by dimension_value") == [
        (2, 0, "10.00", "0.00"),  # S1: the gift's list value is not discount money
        (1000, 0, "1.50", "0.00"),
    ]

    drop(landing, "orders/o-2026-06-02.csv", ORDERS + "O2,C1,2026-06-02 09:00:00,web,,paid,20.00,0.00,20.00\n")
    daily = run_cli(tmp_path / "data", "daily", env={**env, "DATE": "2026-06-02"})
    assert daily.returncode == 0, daily.output[-3000:]
    assert build.query(waiting, db="build") == []
    assert build.query("select order_id, items_count from marts.fct_orders order by 1") == [("O1", 3), ("O2", 1)]
