"""A corpus of malformed landing inputs. Each one ends in quarantine with a reason, or in a one-line LandingError
naming the file — never a traceback, never a silent loss (rows in = rows loaded + rows quarantined / set aside).

Cases (name: what is wrong → expected outcome):
 1 unknown_extension: orders/2026-06-01.xlsx → error "unknown format"
 2 unknown_folder: refunds/2026-06-01.csv → error "names no raw table"
 3 file_outside_folder: LANDING_DIR/2026-06-01.csv → error "sub-folder"
 4 unreadable_encoding: bytes neither UTF-8 nor GBK → error "cannot be read"
 5 declared_encoding_wrong: _format.json says utf-8, file is GBK → error "cannot be read"
 6 bad_format_json: _format.json not JSON → error "not valid JSON"
 7 missing_column: customers without signup_date → error "missing column"
 8 online_retail_missing_column: no UnitPrice → error "missing Online Retail column"
 9 undated_order_items: order_items file without a day in its name → error "day in the name"
10 impossible_date_in_name: orders/2026-02-30.csv → error "not a date"
11 empty_file: 0 bytes → recorded as 'empty', nothing to lose
12 header_only: header, no rows → loaded with 0 rows
13 extra_column: an unknown column → ignored, rows load
14 bom: UTF-8 with BOM → rows load
15 gbk: GBK-encoded → rows load
16 truncated_row: a row with too few fields → quarantine.file_rows 'unparseable'
17 too_many_fields: a row with an extra field → quarantine.file_rows 'unparseable'
18 wrong_type: birth_year 'nineteen' → quarantine 'unparseable birth_year'
19 bad_date_format: signup_date 30/06/2026 in an undated file → quarantine.file_rows 'unparseable date'
20 far_future_date: signup_date 2099-01-01 in an undated file → quarantine.file_rows 'future date'
21 null_key: empty customer_id → quarantine 'null key'
22 duplicated_row: the same row twice → quarantine 'exact duplicate'
23 duplicated_day: two files for one day holding the same customer row → quarantine 'exact duplicate'
24 negative_quantity: order_items quantity -1 → quarantine 'negative or zero quantity'
25 negative_price: order_items paid_unit_price -1 → quarantine 'negative price' (a price of 0 is a gift: loaded)
26 non_numeric_price: order_items paid_unit_price 'abc' → quarantine 'unparseable paid_unit_price'
27 unknown_sku: order_items sku not in products → quarantine 'unknown sku'
28 null_customer: orders without customer_id → quarantine 'null customer_id'
29 future_timestamp: orders ordered_at 2099 in a dated file → quarantine 'future timestamp'
30 online_retail_cancellation / guest / zero price / bad quantity → quarantine.file_rows with their rule
31 duplicated_file: same bytes under two names → one 'duplicate' file row, rows loaded once
32 corrected_redrop: same name, new content → old rows replaced (test_files_source.py has the detail)
33 future_day_in_name: orders/o-2099-01-01.csv → quarantine.file_rows 'future date'; the build's days stop at the
   last day not after today
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import load_settings
from dagster_project.sources import files
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw

DAY = dt.date(2026, 6, 1)
CUST_HEADER = "customer_id,signup_date,birth_year,gender,province,city,acquisition_channel,phone,email\n"
CUST = CUST_HEADER + "C1,2026-06-01,1990,F,浙江,杭州,tmall,,\n"
PRODUCTS = "sku,category,style,list_price,launch_date,factory_id\nS1,tote,Aria,100.00,2026-06-01,F01\n"
ORDERS = (
    "order_id,customer_id,ordered_at,channel,campaign_code,status,gross_amount,discount_amount,net_amount\n"
    "O1,C1,2026-06-01 10:00:00,tmall,,paid,100.00,0.00,100.00\n"
)
ITEMS_HEADER = "order_id,line_number,sku,quantity,list_unit_price,paid_unit_price\n"
RETAIL_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
BASE = {
    "customers/c-2026-06-01.csv": CUST,
    "products/p-2026-06-01.csv": PRODUCTS,
    "orders/o-2026-06-01.csv": ORDERS,
}

# name: (files to drop on top of BASE, expected error substring or None, expected rules {rule: count})
CASES: dict[str, tuple[dict[str, str | bytes], str | None, dict[str, int]]] = {
    "unknown_extension": ({"orders/2026-06-01.xlsx": "x"}, "unknown format", {}),
    "unknown_folder": ({"refunds/2026-06-01.csv": ORDERS}, "names no raw table", {}),
    "file_outside_folder": ({"2026-06-01.csv": ORDERS}, "sub-folder", {}),
    "unreadable_encoding": (
        {"customers/x-2026-06-01.csv": b"customer_id\n\xff\xfe\xfa\xfb\x81\n"},
        "cannot be read",
        {},
    ),
    "declared_encoding_wrong": (
        {"customers/_format.json": '{"encoding": "utf-8"}', "customers/x-2026-06-01.csv": CUST.encode("gbk")},
        "cannot be read",
        {},
    ),
    "bad_format_json": ({"customers/_format.json": "{encoding: gbk"}, "not valid JSON", {}),
    "missing_column": ({"customers/x-2026-06-01.csv": "customer_id,gender\nC9,F\n"}, "missing column", {}),
    "online_retail_missing_column": (
        {"online_retail/2026-06-01.csv": "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID,Country\n"},
        "missing Online Retail column",
        {},
    ),
    "undated_order_items": ({"order_items/items.csv": ITEMS_HEADER + "O1,1,S1,1,100,100\n"}, "day in the name", {}),
    "impossible_date_in_name": ({"orders/2026-02-30.csv": ORDERS}, "not a date", {}),
    "empty_file": ({"customers/x-2026-06-01.csv": ""}, None, {}),
    "header_only": ({"customers/x-2026-06-01.csv": CUST_HEADER}, None, {}),
    "extra_column": (
        {"customers/x-2026-06-01.csv": CUST_HEADER.replace("\n", ",vip\n") + "C2,2026-06-01,,,,,,,,yes\n"},
        None,
        {},
    ),
    "bom": ({"customers/x-2026-06-01.csv": b"\xef\xbb\xbf" + CUST.replace("C1", "C2").encode()}, None, {}),
    "gbk": ({"customers/x-2026-06-01.csv": CUST.replace("C1", "C2").encode("gbk")}, None, {}),
    "truncated_row": ({"customers/x-2026-06-01.csv": CUST_HEADER + "C2,2026-06-01,1990\n"}, None, {"unparseable": 1}),
    "too_many_fields": (
        {"customers/x-2026-06-01.csv": CUST_HEADER + "C2,2026-06-01,,,,,,,,extra,more\n"},
        None,
        {"unparseable": 1},
    ),
    "wrong_type": (
        {"customers/x-2026-06-01.csv": CUST_HEADER + "C2,2026-06-01,nineteen,,,,,,\n"},
        None,
        {"unparseable birth_year": 1},
    ),
    "bad_date_format": (
        {"customers/undated.csv": CUST_HEADER + "C2,30/06/2026,,,,,,,\n"},
        None,
        {"unparseable date": 1},
    ),
    "far_future_date": ({"customers/undated.csv": CUST_HEADER + "C2,2099-01-01,,,,,,,\n"}, None, {"future date": 1}),
    "future_day_in_name": (
        {"orders/o-2099-01-01.csv": ORDERS.replace("O1,C1,2026-06-01", "O2,C1,2099-01-01")},
        None,
        {"future date": 1},
    ),
    "null_key": ({"customers/x-2026-06-01.csv": CUST_HEADER + ",2026-06-01,,,,,,,\n"}, None, {"null key": 1}),
    "duplicated_row": (
        {"customers/x-2026-06-01.csv": CUST_HEADER + "C2,2026-06-01,,,,,,,\n" * 2},
        None,
        {"exact duplicate": 1},
    ),
    "duplicated_day": (
        {"customers/again-2026-06-01.csv": CUST + "C3,2026-06-01,,,,,,,\n"},
        None,
        {"exact duplicate": 1},
    ),
    "negative_quantity": (
        {"order_items/i-2026-06-01.csv": ITEMS_HEADER + "O1,1,S1,-1,100,100\n"},
        None,
        {"negative or zero quantity": 1},
    ),
    "negative_price": (
        {"order_items/i-2026-06-01.csv": ITEMS_HEADER + "O1,1,S1,1,100,-1\n"},
        None,
        {"negative price": 1},
    ),
    "non_numeric_price": (
        {"order_items/i-2026-06-01.csv": ITEMS_HEADER + "O1,1,S1,1,100,abc\n"},
        None,
        {"unparseable paid_unit_price": 1},
    ),
    "unknown_sku": ({"order_items/i-2026-06-01.csv": ITEMS_HEADER + "O1,1,S404,1,100,100\n"}, None, {"unknown sku": 1}),
    "null_customer": ({"orders/o2-2026-06-01.csv": ORDERS.replace("O1,C1", "O2,")}, None, {"null customer_id": 1}),
    "future_timestamp": (
        {"orders/o2-2026-06-01.csv": ORDERS.replace("O1,C1,2026-06-01", "O2,C1,2099-06-01")},
        None,
        {"future timestamp": 1},
    ),
    "online_retail_rules": (
        {
            "online_retail/2026-06-01.csv": RETAIL_HEADER
            + "C536379,D,Discount,-1,2026-06-01 09:41:00,27.50,14527.0,United Kingdom\n"
            + "536544,21773,BOX,1,2026-06-01 14:32:00,2.51,,United Kingdom\n"
            + "536545,21774,BOX,1,2026-06-01 14:32:00,0.00,14527.0,United Kingdom\n"
            + "536546,21775,BOX,lots,2026-06-01 14:32:00,1.00,14527.0,United Kingdom\n"
            + "536547,21776,BOX,2,2026-06-01 14:32:00,1.25,14527.0,United Kingdom\n"
        },
        None,
        {"cancellation": 1, "null customer": 1, "price ≤ 0": 1, "unparseable Quantity": 1},
    ),
    "duplicated_file": ({"customers/zz-copy-2026-06-01.csv": CUST}, None, {}),
}


def _settings(tmp_path: Path):
    return load_settings(
        {"SOURCE": "files", "LANDING_DIR": str(tmp_path / "landing"), "DATA_DIR": str(tmp_path / "data")}
    )


def _drop(tmp_path: Path, dropped: dict[str, str | bytes]) -> None:
    for relative, content in {**BASE, **dropped}.items():
        path = tmp_path / "landing" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def _load(settings) -> duckdb.DuckDBPyConnection:
    first, last = files.date_range(settings)
    first, last = min(first, DAY), max(last, DAY)
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.build_db))
    raw.ensure_schema(con)
    data = files.fetch(settings, first, last, list(RAW_TABLES), con=con)
    load_id = raw.new_load_id()
    for name in raw.load_order(data):
        raw.load_table(con, RAW_TABLES[name], data[name], first, last, load_id, "files")
    files.ensure_meta(con)
    return con


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_input(tmp_path, case):
    dropped, error, expected_rules = CASES[case]
    _drop(tmp_path, dropped)
    settings = _settings(tmp_path)
    if error is not None:
        with pytest.raises(files.LandingError) as raised:
            _load(settings)
        message = str(raised.value)
        assert error in message and "\n" not in message
        assert any(Path(name).name in message or name.split("/")[0] in message for name in dropped)
        return
    con = _load(settings)
    rules: dict[str, int] = {}
    for name in RAW_TABLES:
        for rule, count in con.execute(f"select _rule, count(*) from quarantine.{name} group by 1").fetchall():
            rules[rule] = rules.get(rule, 0) + count
    for rule, count in con.execute("select rule, count(*) from quarantine.file_rows group by 1").fetchall():
        rules[rule] = rules.get(rule, 0) + count
    assert rules == expected_rules
    # no silent loss: every data row of every file is loaded, quarantined, set aside or a whole duplicate file
    summary = con.execute(
        "select file_ref, status, rows_in, rows_loaded, rows_set_aside, rows_to_loader from meta.file_load_summary"
    ).fetchall()
    for file_ref, status, rows_in, rows_loaded, rows_set_aside, rows_to_loader in summary:
        loader_quarantined = sum(
            con.execute(f"select count(*) from quarantine.{name} where _source like ?", [file_ref + ":%"]).fetchall()[
                0
            ][0]
            for name in RAW_TABLES
        )
        if status == "duplicate":
            assert rows_loaded == 0 and rows_in > 0
            continue
        if file_ref.startswith("online_retail/"):
            assert rows_in == rows_to_loader + rows_set_aside, file_ref
        else:
            assert rows_in == rows_loaded + loader_quarantined + rows_set_aside, file_ref
    if case == "future_day_in_name":  # set aside, and the build's days do not stretch to 2099
        assert files.date_range(settings) == (DAY, DAY)
    if case == "duplicated_file":
        assert [s[1] for s in summary if s[0] == "customers/zz-copy-2026-06-01.csv"] == ["duplicate"]
        assert con.execute("select count(*) from raw.customers").fetchall() == [(1,)]
    if case == "empty_file":
        assert [s[1:3] for s in summary if s[0] == "customers/x-2026-06-01.csv"] == [("empty", 0)]
