"""Data safety (issue #46): hand-made hostile inputs that a build used to publish wrong, missing or private data
from while passing every gate. Each test makes one such input and asserts the refusal (one line naming the file,
row or setting) or the quarantine, and that nothing wrong reaches the serving file.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import SettingsError, load_settings
from dagster_project.sources import files
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw
from tests.conftest import run_cli

DAY = dt.date(2026, 6, 1)
CUST_HEADER = "customer_id,signup_date,birth_year,gender,province,city,acquisition_channel,phone,email\n"


def _settings(tmp_path: Path, **env: str):
    return load_settings(
        {"SOURCE": "files", "LANDING_DIR": str(tmp_path / "landing"), "DATA_DIR": str(tmp_path / "data"), **env}
    )


def _drop(tmp_path: Path, relative: str, content: str | bytes) -> Path:
    path = tmp_path / "landing" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _load(settings, first: dt.date = DAY, last: dt.date = DAY) -> duckdb.DuckDBPyConnection:
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.build_db))
    raw.ensure_schema(con)
    data = files.fetch(settings, first, last, list(RAW_TABLES), con=con)
    load_id = raw.new_load_id()
    for name in raw.load_order(data):
        raw.load_table(con, RAW_TABLES[name], data[name], first, last, load_id, "files", shop_tz=settings.shop_tz)
    files.ensure_meta(con)
    return con


# ---------------------------------------------------------------------------------------- 1. wrong encoding


@pytest.mark.parametrize(
    ("encoding", "city"),
    [("latin-1", "Zürich"), ("shift_jis", "東京都")],
)
def test_a_file_that_reads_as_gbk_only_into_rare_characters_is_refused(tmp_path, encoding, city):
    content = CUST_HEADER + f"C1,2026-06-01,1990,F,,{city},web,,\nC2,2026-06-01,1991,M,,{city},web,,\n"
    path = _drop(tmp_path, f"customers/c-{DAY}.csv", content.encode(encoding))
    assert content.encode(encoding).decode("gbk")  # what the loader used to publish: it decodes as GBK
    with pytest.raises(files.LandingError) as raised:
        _load(_settings(tmp_path))
    message = str(raised.value)
    assert "\n" not in message and str(path) in message and "unlikely" in message and "_format.json" in message
    assert not (tmp_path / "data" / "serving" / "warehouse.duckdb").exists()


def test_a_declared_latin1_folder_loads_its_letters_right_and_real_gbk_still_loads(tmp_path):
    _drop(tmp_path, "customers/_format.json", '{"encoding": "latin-1"}')
    _drop(tmp_path, f"customers/c-{DAY}.csv", (CUST_HEADER + "C1,2026-06-01,1990,F,,Zürich,web,,\n").encode("latin-1"))
    con = _load(_settings(tmp_path))
    assert con.execute("select city from raw.customers").fetchall() == [("Zürich",)]
    assert con.execute("select encoding from meta.file_loads").fetchall() == [("latin-1",)]
    con.close()
    shutil.rmtree(tmp_path / "landing")
    shutil.rmtree(tmp_path / "data")
    _drop(tmp_path, f"customers/c-{DAY}.csv", (CUST_HEADER + "C1,2026-06-01,1990,F,浙江,杭州,tmall,,\n").encode("gbk"))
    con = _load(_settings(tmp_path))
    assert con.execute("select province, city from raw.customers").fetchall() == [("浙江", "杭州")]


# ------------------------------------------------------------------- 2. set-aside rows and the tolerance


def _retail_landing(tmp_path: Path, online_retail: Path, days: int = 2) -> Path:
    landing = tmp_path / "landing"
    (landing / "online_retail").mkdir(parents=True)
    for path in sorted(online_retail.glob("*.csv"))[:days]:
        shutil.copy(path, landing / "online_retail")
    return landing


def test_rows_set_aside_before_the_loader_count_toward_the_tolerance_and_the_summary(tmp_path, online_retail):
    landing = _retail_landing(tmp_path, online_retail)
    first = sorted(online_retail.glob("*.csv"))[0].stem  # e.g. 2010-12-01
    year, month, day = first.split("-")
    rows = "".join(
        f"K{i},C1,sms,{day}/{month}/{year} 10:{i:02d}:00,follow_up\n" for i in range(40)
    )  # dd/mm/yyyy: no usable day for any row, so every row is set aside in quarantine.file_rows
    (landing / "contact_log").mkdir()
    (landing / "contact_log" / "contacts.csv").write_text("contact_id,customer_id,channel,sent_at,purpose\n" + rows)
    build = run_cli(tmp_path / "data", "build", env={"SOURCE": "files", "LANDING_DIR": str(landing)})
    assert build.returncode == 1, build.output[-3000:]
    assert "FAILED raw/extract · quarantine_tolerance_contact_log" in build.output
    assert "40 of 40 rows" in build.output and "unparseable date (set aside) 40" in build.output
    assert "contact_log 40" in build.output  # the summary's quarantined count holds them
    assert not build.serving_db.exists()


# ------------------------------------------------------------------------------------ 3. silent value changes

ORDERS_HEADER = "order_id,customer_id,ordered_at,channel,campaign_code,status,gross_amount,discount_amount,net_amount\n"
CUSTOMERS = CUST_HEADER + "C1,2026-05-01,1990,F,,,web,,\n"


def test_decimals_that_do_not_fit_the_contract_scale_are_quarantined_not_rounded(tmp_path):
    _drop(tmp_path, "customers/c-2026-05-01.csv", CUSTOMERS)
    rows = {
        "O1": "99.999,0.00,99.999",
        "O2": "100.00,-0.004,100.00",
        "O3": "100.00,0.004,99.996",
        "O4": "1_000,0.00,1000.00",
        "O5": "1e3,0.00,1000.00",
        "O6": "12.3000,0.10,12.20",  # trailing zeros fit: loads as 12.30
    }
    body = "".join(f"{k},C1,2026-06-01 10:00:00,web,,paid,{v}\n" for k, v in rows.items())
    _drop(tmp_path, f"orders/o-{DAY}.csv", ORDERS_HEADER + body)
    con = _load(_settings(tmp_path), dt.date(2026, 5, 1), DAY)
    quarantined = dict(con.execute("select order_id, _rule from quarantine.orders").fetchall())
    assert quarantined == {
        "O1": "unparseable gross_amount",
        "O2": "unparseable discount_amount",
        "O3": "unparseable discount_amount",
        "O4": "unparseable gross_amount",
        "O5": "unparseable gross_amount",
    }
    assert con.execute("select order_id, gross_amount::varchar, net_amount::varchar from raw.orders").fetchall() == [
        ("O6", "12.30", "12.20")
    ]


def test_timestamps_with_an_offset_are_converted_to_the_shop_time_zone(tmp_path):
    _drop(tmp_path, "customers/c-2026-05-01.csv", CUSTOMERS)
    stamps = {
        "O1": "2026-06-01 23:30+08:00",
        "O2": "2026-06-01 15:30Z",
        "O3": "2026-06-01 10:30-05:00",
        "O4": "2026-06-01 23:30:00",  # naive: already shop time
        "O5": "2026-06-01 20:00-05:00",  # 2026-06-02 09:00 in Shanghai: the next partition day
    }
    body = "".join(f"{k},C1,{v},web,,paid,10.00,0.00,10.00\n" for k, v in stamps.items())
    _drop(tmp_path, "orders/undated.csv", ORDERS_HEADER + body)
    settings = _settings(tmp_path, SHOP_TZ="Asia/Shanghai")
    assert files.date_range(settings) == (dt.date(2026, 5, 1), dt.date(2026, 6, 2))
    con = _load(settings, dt.date(2026, 5, 1), dt.date(2026, 6, 2))
    got = {
        k: (str(t), str(d))
        for k, t, d in con.execute("select order_id, ordered_at, _partition_date from raw.orders").fetchall()
    }
    assert got == {
        "O1": ("2026-06-01 23:30:00", "2026-06-01"),
        "O2": ("2026-06-01 23:30:00", "2026-06-01"),
        "O3": ("2026-06-01 23:30:00", "2026-06-01"),
        "O4": ("2026-06-01 23:30:00", "2026-06-01"),
        "O5": ("2026-06-02 09:00:00", "2026-06-02"),
    }
    assert con.execute("select count(*) from quarantine.orders").fetchone() == (0,)


def test_a_parquet_timestamptz_is_converted_to_the_shop_time_zone(tmp_path):
    _drop(tmp_path, "customers/c-2026-05-01.csv", CUSTOMERS)
    path = tmp_path / "landing" / "orders" / f"o-{DAY}.parquet"
    path.parent.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(
            "copy (select 'O1' as order_id, 'C1' as customer_id, timestamptz '2026-06-01 02:30:00+00' as ordered_at, "
            "'web' as channel, null as campaign_code, 'paid' as status, 10.00 as gross_amount, "
            f"0.00 as discount_amount, 10.00 as net_amount) to '{path}' (format parquet)"
        )
    con = _load(_settings(tmp_path, SHOP_TZ="Asia/Tokyo"), dt.date(2026, 5, 1), DAY)
    assert [str(t) for (t,) in con.execute("select ordered_at from raw.orders").fetchall()] == ["2026-06-01 11:30:00"]


# ------------------------------------------------------------------------------------- 4. which copy wins


def test_the_later_line_wins_by_number_and_the_conflict_is_recorded(tmp_path):
    _drop(tmp_path, "customers/c-2026-05-01.csv", CUSTOMERS)
    lines = [f"X{i},C1,2026-06-01 10:00:00,web,,paid,10.00,0.00,10.00\n" for i in range(2, 9)]  # lines 2-8
    lines.append("O1,C1,2026-06-01 10:00:00,web,,paid,10.00,0.00,10.00\n")  # line 9
    lines.append("O1,C1,2026-06-02 11:00:00,web,,paid,20.00,0.00,20.00\n")  # line 10: the later copy
    _drop(tmp_path, "orders/undated.csv", ORDERS_HEADER + "".join(lines))
    first, last = dt.date(2026, 5, 1), dt.date(2026, 6, 2)
    con = _load(_settings(tmp_path), first, last)
    assert con.execute("select key, kept_source, other_sources, copies from meta.key_conflicts").fetchall() == [
        ("O1", "orders/undated.csv:10", ["orders/undated.csv:9"], 2)
    ]
    # staging's rule (dbt/macros/staging_latest_copy.sql) picks the same copy
    macro = (Path(__file__).parent.parent / "dbt" / "macros" / "staging_latest_copy.sql").read_text()
    assert "source_order('_source')" in macro
    kept = con.execute(
        f"select _source, net_amount::varchar from raw.orders qualify row_number() over "
        f"(partition by order_id order by _loaded_at desc, {raw.KEPT_COPY_ORDER}) = 1 and order_id = 'O1'"
    ).fetchall()
    assert kept == [("orders/undated.csv:10", "20.00")]


def test_across_two_files_the_later_file_wins_and_a_build_publishes_it(tmp_path):
    """Also item 8 on the same build: e-mails and phones typed into free text are masked in what is published."""
    from dagster_project.warehouse.pii import EMAIL, PHONE

    landing = tmp_path / "landing"
    pii_customer = CUST_HEADER + "C1,2026-05-01,1990,F,shop@example.com,call 13812345678,web,,\n"
    _drop(tmp_path, "customers/c-2026-05-01.csv", pii_customer)
    _drop(
        tmp_path,
        "products/p-2026-05-01.csv",
        "sku,category,style,list_price,launch_date,factory_id\nS1,tote,Aria +44 20 7946 0958,10.00,2026-05-01,\n",
    )
    item = "order_id,line_number,sku,quantity,list_unit_price,paid_unit_price\n"
    _drop(tmp_path, "orders/o-2026-06-01.csv", ORDERS_HEADER + "O1,C1,2026-06-01 10:00:00,web,,paid,10.00,0.00,10.00\n")
    _drop(tmp_path, "order_items/i-2026-06-01.csv", item + "O1,1,S1,1,10.00,10.00\n")
    late = "O1,C1,2026-06-02 10:00:00,web,a.b@example.cn,paid,20.00,0.00,20.00\n"  # an e-mail as campaign code
    _drop(tmp_path, "orders/o-2026-06-02.csv", ORDERS_HEADER + late)
    _drop(tmp_path, "order_items/i-2026-06-02.csv", item + "O1,1,S1,2,10.00,10.00\n")
    build = run_cli(tmp_path / "data", "build", env={"SOURCE": "files", "LANDING_DIR": str(landing)})
    assert build.returncode == 0, build.output[-3000:]
    assert "key conflicts: 2 key(s)" in build.output
    assert build.query("select order_id, net_amount::varchar from marts.fct_orders") == [("O1", "20.00")]
    conflicts = build.query("select table_name, kept_source from meta.key_conflicts order by 1", db="build")
    assert conflicts == [("order_items", "order_items/i-2026-06-02.csv:2"), ("orders", "orders/o-2026-06-02.csv:2")]
    # 8. PII in free text: masked in the serving file and its Parquet copies, the rows kept
    assert build.query("select province, city from marts.dim_customers") == [
        ("[email removed]", "call [phone removed]")
    ]
    assert build.query("select campaign_code from marts.fct_orders") == [("[email removed]",)]
    columns = build.query(
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema = 'marts'"
    )
    hits = [
        (table, column)
        for table, column in columns
        if build.scalar(f"select count(*) from {table} where regexp_matches(\"{column}\", '{EMAIL}|{PHONE}')")
    ]
    assert hits == []
    parquet = build.serving_db.parent / "parquet"
    with duckdb.connect() as con:
        assert con.execute(f"select city from '{parquet / 'dim_customers.parquet'}'").fetchall() == [
            ("call [phone removed]",)
        ]
        for path in parquet.rglob("*.parquet"):
            source = f"read_parquet('{path}')"
            texts = [
                c for c, kind, *_ in con.execute(f"describe select * from {source}").fetchall() if kind == "VARCHAR"
            ]
            found = [
                c
                for c in texts
                if con.execute(
                    f"""select count(*) from {source} where regexp_matches("{c}", '{EMAIL}|{PHONE}')"""
                ).fetchone()[0]
            ]
            assert found == [], path


# ------------------------------------------------------------------------------------------ 9. DBT_VARS


@pytest.mark.parametrize(
    ("dbt_vars", "expected"),
    [
        (
            '{"deal_hunter_min_discounted_rate": "0 or true"}',
            'deal_hunter_min_discounted_rate="0 or true" is not a number',
        ),
        ('{"outreach_sms_cap": "3 or true"}', 'outreach_sms_cap="3 or true" is not a number'),
        ('{"outreach_sms_cap": 2.5}', "outreach_sms_cap=2.5 is not a whole number"),
        ('{"outreach_sms_cap": -1}', "outreach_sms_cap=-1 is negative"),
        ('{"outreach_loyal_max_discount_rate": 15}', "is a share above 1"),
        ('{"rfm_scoring_method": "quintile\' or 1=1 --"}', "rfm_scoring_method="),
        ('{"rfm_scoring_method": "median"}', "not one of quintile, fixed"),
        ('{"purchase_tier_lower_bounds": [1, "2 or true"]}', "purchase_tier_lower_bounds="),
        ('{"outreach_discount_rates": {"repurchase_due": "0.1; drop table x"}}', "repurchase_due is not a number"),
        ('{"outreach_discount_rates": {"nope": 0.1}}', "unknown key 'nope'"),
    ],
)
def test_dbt_vars_are_checked_against_their_defaults(dbt_vars, expected):
    with pytest.raises(SettingsError) as raised:
        load_settings({"DBT_VARS": dbt_vars})
    message = str(raised.value)
    assert "\n" not in message and message.startswith("DBT_VARS var ") and expected in message


def test_valid_dbt_vars_pass():
    assert load_settings({"DBT_VARS": '{"outreach_sms_cap": 2, "deal_hunter_min_discounted_rate": 0.8}'}).dbt_vars
    assert load_settings({"DBT_VARS": '{"repurchase_cycle_days": null, "rfm_scoring_method": "fixed"}'}).dbt_vars
    assert load_settings({"DBT_VARS": '{"spend_level_bands": [["low", 0], ["top", 5000]]}'}).dbt_vars


def test_an_injected_dbt_var_stops_the_cli_with_one_line_before_any_build(tmp_path):
    build = run_cli(tmp_path / "data", "build", env={"DBT_VARS": '{"outreach_sms_cap": "3 or true"}'})
    assert build.returncode == 2
    assert (
        build.output.strip().splitlines() == [build.output.strip().splitlines()[-1]]
        and "DBT_VARS var outreach_sms_cap" in build.output
    )
    assert not build.serving_db.exists()


# ------------------------------------------------------------------------------- 10. hangs and tracebacks


@pytest.mark.parametrize("limit", ["1B", "10KB", "0.5%"])
def test_a_memory_limit_too_small_to_build_is_refused(limit):
    with pytest.raises(SettingsError) as raised:
        load_settings({"DUCKDB_MEMORY_LIMIT": limit})
    assert f"DUCKDB_MEMORY_LIMIT={limit!r} is too little" in str(raised.value)
    assert load_settings({"DUCKDB_MEMORY_LIMIT": "200MB"}).duckdb_memory_limit == "200MB"


def test_a_second_run_on_the_same_data_dir_stops_with_one_line_and_touches_nothing(tmp_path):
    import fcntl

    data = tmp_path / "data"
    (data / "build").mkdir(parents=True)
    (data / "build" / "warehouse.duckdb").write_bytes(b"the first run's build file")
    with open(data / "build" / ".lock", "a+") as held:  # what a running build holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242, started 2026-12-07T02:00:00\n")
        held.flush()
        second = run_cli(data, "build")
    assert second.returncode == 1
    last = second.output.strip().splitlines()[-1]
    assert last.startswith("error: another run is using") and "pid 4242" in last, second.output[-2000:]
    # the full build did not remove the running build's file
    assert (data / "build" / "warehouse.duckdb").read_bytes() == b"the first run's build file"


def test_a_fifo_in_the_landing_folder_is_refused_with_one_line_not_opened(tmp_path):
    import os
    import threading

    fifo = tmp_path / "landing" / "orders" / f"o-{DAY}.csv"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)

    def unblock() -> None:  # without the rule, scan() blocks opening the pipe until a writer comes
        with open(fifo, "w") as writer:
            writer.write(ORDERS_HEADER)

    writer = threading.Timer(5, unblock)
    writer.daemon = True
    writer.start()
    try:
        with pytest.raises(files.LandingError) as raised:
            files.scan(tmp_path / "landing")
    finally:
        writer.cancel()
    message = str(raised.value)
    assert "\n" not in message and str(fifo) in message and "FIFO" in message and "not a regular file" in message


def test_a_huge_field_or_an_unterminated_quote_quarantines_its_line_and_the_rest_loads(tmp_path):
    row = "2026-06-01,1990,F,,{city},web,,"
    lines = [
        CUST_HEADER.rstrip("\n"),  # 1
        "C1," + row.format(city='"Hang\nzhou"'),  # 2-3: a newline inside a quoted field
        "",  # 4: blank
        "C2," + row.format(city="x" * (2 * 1024 * 1024 + 10)),  # 5: a field over 2 MB
        "C3," + row.format(city='"Ningbo'),  # 6: a quote never closed
        "C4," + row.format(city="Nanjing"),  # 7
        "C5," + row.format(city="Suzhou") + ",extra",  # 8: one field too many
        "C6," + row.format(city="Wuxi"),  # 9
    ]
    _drop(tmp_path, f"customers/c-{DAY}.csv", "\n".join(lines) + "\n")
    con = _load(_settings(tmp_path))
    assert con.execute("select customer_id, city, _source from raw.customers order by 1").fetchall() == [
        ("C1", "Hang\nzhou", f"customers/c-{DAY}.csv:2"),
        ("C4", "Nanjing", f"customers/c-{DAY}.csv:7"),
        ("C6", "Wuxi", f"customers/c-{DAY}.csv:9"),
    ]
    aside = con.execute("select line, rule, detail, length(content) from quarantine.file_rows order by 1").fetchall()
    assert [(line, rule) for line, rule, _, _ in aside] == [(5, "unparseable"), (6, "unparseable"), (8, "unparseable")]
    assert "LINE SIZE OVER MAXIMUM" in aside[0][2] and aside[0][3] < 1100  # the content is cut, and says so
    assert "unterminated quote" in aside[1][2] and "TOO MANY COLUMNS" in aside[2][2]
    ((rows_in, to_loader, set_aside),) = con.execute(
        "select rows_in, rows_to_loader, rows_set_aside from meta.file_loads"
    ).fetchall()
    assert (rows_in, to_loader, set_aside) == (6, 3, 3)


# ------------------------------------------------------------------------------------------ 6. stable reads


def test_a_file_rewritten_after_the_scan_is_read_whole_with_its_own_checksum(tmp_path):
    import hashlib

    path = _drop(tmp_path, f"customers/c-{DAY}.csv", CUSTOMERS)
    (scanned,) = files.scan(tmp_path / "landing")
    rewritten = CUSTOMERS + "C2,2026-05-01,1991,M,,,web,,\n"
    path.write_text(rewritten)  # in place, between the scan and the read
    with duckdb.connect() as con:
        read = files.read_file(con, scanned)
    assert read.file.checksum == hashlib.sha256(rewritten.encode()).hexdigest() != scanned.checksum
    assert read.rows.column("customer_id").to_pylist() == ["C1", "C2"]


def test_a_file_that_keeps_changing_while_read_is_refused_with_one_line(tmp_path, monkeypatch):
    path = _drop(tmp_path, f"customers/c-{DAY}.csv", CUSTOMERS)
    (scanned,) = files.scan(tmp_path / "landing")
    read_csv = files._read_csv

    def writer_at_work(con, f, data):  # another process appends while DuckDB reads, every time
        read = read_csv(con, f, data)
        with open(path, "a") as out:
            out.write("C9,2026-05-01,1991,M,,,web,,\n")
        return read

    monkeypatch.setattr(files, "_read_csv", writer_at_work)
    with duckdb.connect() as con, pytest.raises(files.LandingError) as raised:
        files.read_file(con, scanned)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message and "changed while it was read" in message


# --------------------------------------------------------------------------------------- 5. rows in no table


def test_rows_of_an_undated_file_outside_the_run_days_block_row_accounting_until_loaded(tmp_path):
    from dagster_project.defs.quality import checks

    _drop(tmp_path, "customers/c-2026-05-01.csv", CUSTOMERS)
    body = "".join(f"O{d},C1,2026-06-0{d} 10:00:00,web,,paid,10.00,0.00,10.00\n" for d in (1, 2, 3))
    _drop(tmp_path, "orders/undated.csv", ORDERS_HEADER + body)  # rows on three days
    settings = _settings(tmp_path)
    second = dt.date(2026, 6, 2)
    _load(settings, dt.date(2026, 5, 1), dt.date(2026, 5, 1)).close()  # the customer
    con = _load(settings, second, second)  # what `make daily DATE=2026-06-02` loads
    assert con.execute("select order_id from raw.orders").fetchall() == [("O2",)]
    passed, message, _ = checks.row_accounting(con, "orders", checks._latest_load(con, "orders"))
    assert not passed
    assert "\n" not in message and "orders/undated.csv has 3 rows, 1 of them in" in message
    assert "2 row(s) in no table" in message and "make backfill FROM=2026-06-01 TO=2026-06-03" in message
    con.close()
    con = _load(settings, DAY, dt.date(2026, 6, 3))  # the backfill it names
    assert checks.row_accounting(con, "orders", checks._latest_load(con, "orders"))[0]
    con.close()
    con = _load(settings, second, second)  # re-running one of its days: the other days' rows are still in raw
    assert checks.row_accounting(con, "orders", checks._latest_load(con, "orders"))[0]
