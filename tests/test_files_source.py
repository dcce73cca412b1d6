"""The landing-folder source without Dagster: files → files.fetch → raw.load_table, on tiny hand-made exports."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import load_settings
from dagster_project.sources import files, registry
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw

DAY = dt.date(2026, 6, 1)
CUSTOMERS = (
    "customer_id,signup_date,birth_year,gender,province,city,acquisition_channel,phone,email\n"
    "C1,2026-06-01,1990,F,浙江,杭州,tmall,13800000000,a@b.cn\n"
    "C2,2026-06-01,,M,江苏,南京,jd,,\n"
)

ORDERS = (
    "order_id,customer_id,ordered_at,channel,campaign_code,status,gross_amount,discount_amount,net_amount\n"
    "O1,C1,2026-06-01 10:00:00,tmall,,paid,100.00,0.00,100.00\n"
    "O2,C2,yesterday,tmall,,paid,100.00,0.00,100.00\n"
)


def settings_env(tmp_path: Path) -> dict[str, str]:
    return {"SOURCE": "files", "LANDING_DIR": str(tmp_path / "landing"), "DATA_DIR": str(tmp_path / "data")}


def settings_for(tmp_path: Path):
    return load_settings(settings_env(tmp_path))


def drop(tmp_path: Path, relative: str, content: str | bytes) -> Path:
    path = tmp_path / "landing" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def load(settings, first: dt.date = DAY, last: dt.date = DAY, grouped: bool = True) -> duckdb.DuckDBPyConnection:
    """What the raw asset does for the partition days [first, last] (a fetch per group of tables, each loaded
    before the next is fetched); `grouped=False` fetches every table at once. Returns a connection to the build DB.
    """
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.build_db))
    raw.ensure_schema(con)
    load_id = raw.new_load_id()
    groups = registry.fetch_groups(settings, RAW_TABLES) if grouped else [raw.load_order(RAW_TABLES)]
    for group in groups:
        data = files.fetch(settings, first, last, group, con=con)
        for name in raw.load_order(group):
            raw.load_table(con, RAW_TABLES[name], data[name], first, last, load_id, "files")
    return con


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_csv_rows_land_with_file_and_line(tmp_path):
    drop(tmp_path, "customers/customers-2026-06-01.csv", CUSTOMERS)
    con = load(settings_for(tmp_path))
    assert rows(con, "select customer_id, _source from raw.customers order by 1") == [
        ("C1", "customers/customers-2026-06-01.csv:2"),
        ("C2", "customers/customers-2026-06-01.csv:3"),
    ]
    ((status, rows_in, rows_loaded),) = rows(con, "select status, rows_in, rows_loaded from meta.file_load_summary")
    assert (status, rows_in, rows_loaded) == ("loaded", 2, 2)


def test_identical_redrop_is_a_no_op(tmp_path):
    path = drop(tmp_path, "customers/customers-2026-06-01.csv", CUSTOMERS)
    settings = settings_for(tmp_path)
    load(settings).close()
    path.write_text(CUSTOMERS, encoding="utf-8")  # dropped again, same bytes
    con = load(settings)
    assert rows(con, "select count(*) from raw.customers") == [(2,)]
    assert rows(con, "select count(*) from meta.file_loads") == [(1,)]


def test_same_content_under_another_name_is_recorded_as_duplicate(tmp_path):
    drop(tmp_path, "customers/customers-2026-06-01.csv", CUSTOMERS)
    drop(tmp_path, "customers/resent-customers-2026-06-01.csv", CUSTOMERS)
    con = load(settings_for(tmp_path))
    assert rows(con, "select count(*) from raw.customers") == [(2,)]
    assert rows(con, "select status, duplicate_of, rows_in from meta.file_loads where status = 'duplicate'") == [
        ("duplicate", "customers/customers-2026-06-01.csv", 2)
    ]


def test_corrected_file_replaces_its_earlier_rows(tmp_path):
    path = drop(tmp_path, "customers/customers-2026-06-01.csv", CUSTOMERS)
    settings = settings_for(tmp_path)
    load(settings).close()
    path.write_text(CUSTOMERS.replace("杭州", "宁波").replace("C2,", "C3,"), encoding="utf-8")
    con = load(settings)
    assert rows(con, "select customer_id, city from raw.customers order by 1") == [("C1", "宁波"), ("C3", "南京")]
    assert rows(con, "select status from meta.file_loads order by loaded_at") == [("loaded",), ("replaced",)]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("utf8-bom", b"\xef\xbb\xbf" + CUSTOMERS.encode("utf-8")),
        ("gbk", CUSTOMERS.encode("gbk")),
    ],
)
def test_encodings_are_detected(tmp_path, name, content):
    drop(tmp_path, f"customers/{name}-2026-06-01.csv", content)
    con = load(settings_for(tmp_path))
    assert rows(con, "select customer_id, province, city from raw.customers order by 1") == [
        ("C1", "浙江", "杭州"),
        ("C2", "江苏", "南京"),
    ]


def test_declared_encoding_and_delimiter(tmp_path):
    drop(tmp_path, "customers/_format.json", '{"encoding": "gbk", "delimiter": ";"}')
    drop(tmp_path, "customers/c-2026-06-01.csv", CUSTOMERS.replace(",", ";").encode("gbk"))
    con = load(settings_for(tmp_path))
    assert rows(con, "select count(*), min(encoding) from raw.customers, meta.file_loads") == [(2, "gbk")]


def test_parquet_and_undated_file_partitioned_by_date_column(tmp_path):
    drop(tmp_path, "customers/export.csv", CUSTOMERS.replace("C2,2026-06-01", "C2,2026-06-03"))
    source = tmp_path / "landing" / "customers" / "export.csv"
    duckdb.sql(f"copy (select * from read_csv('{source}', all_varchar=true)) to '{source.with_suffix('.parquet')}'")
    source.unlink()
    settings = settings_for(tmp_path)
    assert files.date_range(settings) == (DAY, dt.date(2026, 6, 3))
    con = load(settings, DAY, dt.date(2026, 6, 3))
    assert rows(con, "select customer_id, _partition_date, _source from raw.customers order by 1") == [
        ("C1", DAY, "customers/export.parquet:1"),
        ("C2", dt.date(2026, 6, 3), "customers/export.parquet:2"),
    ]


def test_rows_before_the_first_partition_are_a_one_line_error_naming_the_file(tmp_path):
    drop(tmp_path, "customers/export.csv", CUSTOMERS.replace("C2,2026-06-01", "C2,1999-06-01"))
    with pytest.raises(files.LandingError, match=r"customers/export.csv: column signup_date has rows dated 1999-06-01"):
        files.date_range(settings_for(tmp_path))


def test_a_run_reads_only_its_days(tmp_path):
    drop(tmp_path, "customers/c-2026-06-01.csv", CUSTOMERS)
    drop(tmp_path, "customers/c-2026-06-02.csv", CUSTOMERS.replace("C1", "C4").replace("C2", "C5"))
    settings = settings_for(tmp_path)
    load(settings, DAY, DAY).close()
    con = load(settings, dt.date(2026, 6, 2), dt.date(2026, 6, 2))
    assert rows(con, "select count(*), count(distinct _partition_date) from raw.customers") == [(4, 2)]


def test_shipped_online_retail_day_copies(tmp_path, online_retail):
    """The real files are usable as landing files as they are (name day, header)."""
    source = online_retail / "2010-12-01.csv"
    (tmp_path / "landing" / "online_retail").mkdir(parents=True)
    shutil.copy(source, tmp_path / "landing" / "online_retail" / source.name)
    assert files.date_range(settings_for(tmp_path)) == (dt.date(2010, 12, 1), dt.date(2010, 12, 1))


def test_a_table_at_a_time_loads_what_all_at_once_loads(tmp_path, online_retail):
    """The raw asset fetches the landing folder one table at a time (memory: one table's rows, not the whole
    load); raw, quarantine and the file bookkeeping must be what one fetch of everything gives."""
    rejected = "C3,2026-06-01,1990,F,x,y,jd,,,extra\n"  # a line DuckDB rejects (one field too many)
    drop(tmp_path, "customers/c-2026-06-01.csv", CUSTOMERS + rejected)
    drop(tmp_path, "customers/again-2026-06-01.csv", CUSTOMERS + rejected)  # a duplicate file
    drop(tmp_path, "orders/export.csv", ORDERS)  # undated: days from ordered_at, one row unparseable
    source = online_retail / "2010-12-01.csv"
    drop(tmp_path, "online_retail/2010-12-01.csv", source.read_bytes())
    settings = settings_for(tmp_path)
    assert registry.fetch_groups(settings, RAW_TABLES) == [
        ["customers", "products", "orders", "order_items"],
        *(
            [name]
            for name in raw.load_order(RAW_TABLES)
            if name not in ("customers", "products", "orders", "order_items")
        ),
    ]
    tables = [*(f"raw.{t}" for t in RAW_TABLES), *(f"quarantine.{t}" for t in RAW_TABLES), "quarantine.file_rows"]
    seen = {}
    for grouped in (True, False):
        copy = load_settings({**settings_env(tmp_path), "DATA_DIR": str(tmp_path / f"data-{grouped}")})
        con = load(copy, dt.date(2010, 12, 1), DAY, grouped=grouped)
        seen[grouped] = {
            t: sorted(map(repr, con.execute(f"select * exclude (_load_id, {stamp(t)}) from {t}").fetchall()))
            for t in tables
        } | {
            "file_loads": rows(
                con,
                "select file_ref, status, duplicate_of, first_day, last_day, rows_in, rows_to_loader, rows_set_aside, "
                "duplicate_rows from meta.file_loads order by file_ref",
            )
        }
        con.close()
    assert seen[True]["raw.orders"] and seen[True]["quarantine.file_rows"]
    assert seen[True] == seen[False]


def stamp(table: str) -> str:
    return "_loaded_at" if table.startswith("raw.") or table.endswith("file_rows") else "_quarantined_at"


def test_a_corrupt_undated_parquet_file_is_a_one_line_error_naming_it(tmp_path):
    drop(tmp_path, "customers/export.parquet", b"PAR1 not really parquet")
    with pytest.raises(files.LandingError, match=r"customers/export.parquet: not a readable Parquet file"):
        files.date_range(settings_for(tmp_path))


def test_a_dangling_symlink_in_landing_is_a_one_line_error_naming_it(tmp_path):
    drop(tmp_path, "customers/2026-06-01.csv", CUSTOMERS)
    link = tmp_path / "landing" / "orders" / "2026-06-01.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to(tmp_path / "gone.csv")
    with pytest.raises(files.LandingError, match=r"orders/2026-06-01.csv: broken symlink to .*gone.csv"):
        load(settings_for(tmp_path))


def test_day_named_parquet_files_load_like_their_csv_twins(tmp_path):
    """Day-named Parquet files are staged in one query per folder and column list, straight from disk; what lands
    (raw, quarantine, set-aside rows, file bookkeeping) must be what the same rows as CSV files give, line for
    line (a CSV's line n is the Parquet file's row n - 1: the header)."""
    orders = ORDERS.splitlines(keepends=True)
    day_files = {
        "customers/customers-2026-06-01": CUSTOMERS,
        "orders/orders-2026-06-01": orders[0] + orders[1] + orders[1] + orders[2],  # O1 twice: a repeated row
        "orders/orders-2026-06-02": (  # the same columns in another order: a second column list
            "customer_id,order_id,ordered_at,channel,campaign_code,status,gross_amount,discount_amount,net_amount\n"
            "C2,O3,2026-06-02 09:00:00,jd,,paid,50.00,5.00,45.00\n"
            "C9,O4,2026-06-02 09:30:00,jd,,paid,50.00,5.00,45.00\n"  # unknown customer
        ),
        "orders/orders-2099-01-01": orders[0] + orders[1],  # named after today: set aside
    }

    def landed(kind: str) -> dict[str, list[tuple]]:
        root = tmp_path / kind
        for stem, text in day_files.items():
            path = drop(root, f"{stem}.csv", text)
            if kind == "parquet":
                duckdb.sql(
                    f"copy (select * from read_csv('{path}', all_varchar = true)) to '{path.with_suffix('.parquet')}'"
                )
                path.unlink()
        con = load(settings_for(root), DAY, dt.date(2026, 6, 2))
        shift = 1 if kind == "csv" else 0  # CSV lines count the header
        stem_line = (
            f"regexp_replace(split_part(_source, ':', 1), '\\.(csv|parquet)$', '') || ':' || "
            f"(cast(split_part(_source, ':', 2) as bigint) - {shift})"
        )
        file_stem = "regexp_replace(file_ref, '\\.(csv|parquet)$', '')"
        return {
            "raw": rows(con, f"select order_id, customer_id, _partition_date, {stem_line} from raw.orders order by 1"),
            "quarantine": rows(con, f"select order_id, _rule, {stem_line} from quarantine.orders order by 1, 2"),
            "set aside": rows(con, f"select {file_stem}, line - {shift}, rule from quarantine.file_rows order by 1, 2"),
            "files": rows(
                con,
                f"select {file_stem}, status, first_day, last_day, rows_in, rows_to_loader, rows_set_aside, "
                "duplicate_rows, rows_loaded, rows_quarantined_by_loader from meta.file_load_summary order by 1",
            ),
        }

    csv, parquet = landed("csv"), landed("parquet")
    assert parquet == csv
    assert [r[0] for r in parquet["raw"]] == ["O1", "O3"]
    assert {r[1] for r in parquet["quarantine"]} == {"exact duplicate", "unparseable ordered_at", "unknown customer"}
    assert parquet["set aside"] == [("orders/orders-2099-01-01", 1, "future date")]
    assert ("orders/orders-2026-06-01", "loaded", DAY, DAY, 3, 3, 0, 1, 1, 2) in parquet["files"]


def test_the_scratch_connection_keeps_to_the_memory_limit(tmp_path, monkeypatch):
    """DUCKDB_MEMORY_LIMIT caps the files source's scratch DuckDB as well as the build connection: the scratch one
    counts each folder's duplicate rows with a group-by over every column, and at TPC-H SF10 it grew to 11.5 GB
    while the build connection kept to its 6 GB."""
    drop(tmp_path, "customers/customers-2026-06-01.csv", CUSTOMERS)
    drop(tmp_path, "orders/export.csv", ORDERS)
    settings = load_settings({**settings_env(tmp_path), "DUCKDB_MEMORY_LIMIT": "1GB"})
    connect = duckdb.connect
    seen: list[str] = []

    def spy(*args, **kwargs):
        opened = connect(*args, **kwargs)
        seen.append(opened.execute("select current_setting('memory_limit')").fetchone()[0])
        return opened

    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    with connect(str(settings.build_db), config=settings.duckdb_config) as con:
        limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
        monkeypatch.setattr(duckdb, "connect", spy)
        files.fetch(settings, DAY, DAY, ["customers", "orders"], con)
    assert seen and set(seen) == {limit}, seen


def test_a_file_is_hashed_again_only_when_its_size_or_time_changed_and_not_trusted_when_just_written(
    tmp_path, monkeypatch
):
    path = drop(tmp_path, "customers/customers-2026-06-01.csv", CUSTOMERS)
    old = path.stat().st_mtime_ns - 60 * 10**9
    os.utime(path, ns=(old, old))  # last changed a minute ago
    settings = settings_for(tmp_path)
    load(settings).close()
    hashed: list[Path] = []
    real_sha256 = files.hashlib.sha256
    monkeypatch.setattr(files.hashlib, "sha256", lambda data: hashed.append(path) or real_sha256(data))
    files._checksums.clear()  # a new process: the checksum comes from meta.landing_checksums
    with duckdb.connect(str(settings.build_db)) as con:
        files._seed_checksums(con, settings.landing_dir)
    files.scan(settings.landing_dir)
    assert hashed == []
    con = load(settings)
    assert hashed == [path]  # read_file hashes the bytes it reads (a stable copy: read_file's doc); scan did not
    assert rows(con, "select file_ref, checksum from meta.landing_checksums") == [
        ("customers/customers-2026-06-01.csv", real_sha256(CUSTOMERS.encode()).hexdigest())
    ]
    con.close()

    # corrected: the same size, a new time -> hashed again, and its rows replace the old ones
    path.write_text(CUSTOMERS.replace("杭州", "宁波"), encoding="utf-8")
    con = load(settings)
    assert len(hashed) == 3  # scan, then read_file
    assert rows(con, "select city from raw.customers order by customer_id") == [("宁波",), ("南京",)]
    con.close()
    # ... and hashed yet again next time: it had changed less than RACY_NS before it was hashed, so within the same
    # clock tick it could change again with the same size and time
    files.checksum(path)
    assert len(hashed) == 4
    older = path.stat().st_mtime_ns - 60 * 10**9
    os.utime(path, ns=(older, older))
    files.checksum(path), files.checksum(path)
    assert len(hashed) == 5


def test_the_landing_sensor_asks_for_the_days_of_new_files_once(tmp_path, monkeypatch):
    from dagster_project.defs.sensors import new_file_request

    for name, value in settings_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    drop(tmp_path, "customers/customers-2026-06-01.csv", CUSTOMERS)
    drop(tmp_path, "orders/orders.csv", ORDERS)  # undated: its days come from ordered_at
    request, cursor = new_file_request(None)
    assert request.tags["dagster/asset_partition_range_start"] == "2026-06-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-06-01"
    assert request.tags["landing/new_files"] == "customers/customers-2026-06-01.csv, orders/orders.csv"
    again, _ = new_file_request(cursor)
    assert again.skip_message == "no new files"
    drop(tmp_path, "orders/orders-late.csv", ORDERS.replace("2026-06-01", "2026-05-20").replace("O1", "O3"))
    late, _ = new_file_request(cursor)
    assert late.tags["dagster/asset_partition_range_start"] == "2026-05-20"
    assert late.tags["landing/new_files"] == "orders/orders-late.csv"


def test_an_item_that_came_a_day_before_its_order_is_released_by_the_run_its_order_arrives_in(tmp_path):
    # the wedge: an item exported the day before its order waited in quarantine as "unknown order" for ever, and
    # from the day its order arrived every run failed the orders' items gate until someone re-ran the earlier day
    settings = settings_for(tmp_path)
    drop(tmp_path, "customers/customers-2026-06-01.csv", CUSTOMERS)
    drop(
        tmp_path,
        "products/2026-06-01.csv",
        "sku,category,style,list_price,launch_date,factory_id\nS1,tote,A,50.00,2026-06-01,\n",
    )
    drop(
        tmp_path,
        "order_items/2026-06-01.csv",
        "order_id,line_number,sku,quantity,list_unit_price,paid_unit_price\nO9,1,S1,2,50.00,50.00\nO8,1,S1,1,50.00,50.00\n",
    )
    load(settings).close()
    con = duckdb.connect(str(settings.build_db))
    assert rows(con, "select order_id, _rule from quarantine.order_items order by 1") == [
        ("O8", "unknown order"),
        ("O9", "unknown order"),
    ]
    con.close()
    order = "O9,C1,2026-06-02 09:00:00,tmall,,paid,100.00,0.00,100.00\n"
    drop(tmp_path, "orders/2026-06-02.csv", ORDERS.splitlines(keepends=True)[0] + order)
    con = load(settings, dt.date(2026, 6, 2), dt.date(2026, 6, 2))
    # O9's item moves to raw on its own day and file line; O8's order never came, so its item still waits
    assert rows(con, "select order_id, _partition_date, _source from raw.order_items") == [
        ("O9", dt.date(2026, 6, 1), "order_items/2026-06-01.csv:2")
    ]
    assert rows(con, "select order_id, _rule from quarantine.order_items") == [("O8", "unknown order")]
    ((load_2,),) = rows(
        con, "select load_id from meta.load_history where table_name = 'orders' and first_day = '2026-06-02'"
    )
    ((load_1,),) = rows(
        con, "select load_id from meta.load_history where table_name = 'order_items' and first_day = '2026-06-01'"
    )
    assert rows(con, "select load_id, table_name, from_load_id, rows_released from meta.released") == [
        (load_2, "order_items", load_1, 1)
    ]
    # the earlier load's history still adds up: 2 rows in, 1 loaded (released), 1 quarantined
    history = (
        "select rows_in, rows_loaded, rows_quarantined from meta.load_history where load_id = ? and table_name = ?"
    )
    assert con.execute(history, [load_1, "order_items"]).fetchall() == [(2, 1, 1)]
