"""BI tools open the serving file read-only: SQLAlchemy + duckdb-engine, as Superset does, reads every mart; so do
real DuckDB 1.x clients (the library Evidence, DuckDB for Node, DBeaver and Metabase bundle), from a venv of their
own, because files in duckdb 2.0's own storage format are unreadable to them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from dagster_project.warehouse.publish import PARTITIONS
from tests.conftest import old_duckdb_python

# the first 1.x release (the oldest reader SERVING_STORAGE_VERSION promises) and the one Evidence 40.x bundles
OLD_CLIENTS = ("1.0.0", "1.4.2")

# run by an old client's Python: every table of the serving file, counted, and each mart's Parquet copy, read
OLD_READER = r"""
import json, sys, duckdb
path, parquet = sys.argv[1], sys.argv[2]
con = duckdb.connect(path, read_only=True)
tables = con.execute(
    "select schema_name || '.' || table_name from duckdb_tables() where database_name = current_database()"
).fetchall()
counts = {name: con.execute(f"select count(*) from {name}").fetchone()[0] for (name,) in tables}
ordered = {name: con.execute(f"select count(*) from (select * from {name} order by all)").fetchone()[0]
        for (name,) in tables if name.startswith("marts.")}
files = {}
for (name,) in tables:
    mart = name.split(".", 1)[1]
    if name.startswith("marts."):
        glob = f"{parquet}/{mart}/*.parquet" if mart in sys.argv[3].split(",") else f"{parquet}/{mart}.parquet"
        files[name] = con.execute(f"select count(*) from read_parquet('{glob}')").fetchone()[0]
print(json.dumps({"version": duckdb.__version__, "counts": counts, "sorted": ordered, "parquet": files}))
"""


def _read_with(version: str, serving_db: Path) -> dict:
    done = subprocess.run(
        [
            str(old_duckdb_python(version)),
            "-c",
            OLD_READER,
            str(serving_db),
            str(serving_db.parent / "parquet"),
            ",".join(PARTITIONS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"duckdb {version} could not read {serving_db}: {done.stderr[-2000:]}"
    return json.loads(done.stdout)


@pytest.mark.parametrize("version", OLD_CLIENTS)
def test_a_duckdb_1x_client_reads_every_mart_and_its_parquet(warehouse, version):
    logged = dict(
        warehouse.query(
            "select table_name, row_count from meta.publish_log "
            "where publish_id = (select max_by(publish_id, published_at) from meta.publish_log)"
        )
    )
    read = _read_with(version, warehouse.serving_db)
    assert read["version"] == version
    marts = {name: count for name, count in read["counts"].items() if name.startswith("marts.")}
    assert marts == logged and "marts.dim_customers" in marts
    assert read["sorted"] == logged  # every column of every row decoded (sorting reads them all)
    assert read["parquet"] == logged
    assert read["counts"]["meta.publish_log"] >= len(logged)


def test_a_serving_file_in_duckdb_2s_format_is_written_again_in_the_readable_one(tmp_path):
    """A serving file published before the format was pinned (or copied in by hand) is not patched in place: the
    next publish starts empty, so no block in 2.0's format stays behind."""
    from dagster_project.warehouse import publish as publishing

    build, serving = tmp_path / "build.duckdb", tmp_path / "serving" / "warehouse.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute("create table raw.run_context as select date '2026-06-30' as as_of_date")
        con.execute("create table marts.mart_one as select range as id, 'x' || range as label from range(1000)")
    publish = lambda run: publishing.publish(build, serving, run, dt.date(2026, 6, 30), "test")  # noqa: E731
    assert publish("run-1").changes["marts.mart_one"].how == "copied"
    assert publish("run-2").changes["marts.mart_one"].how == "unchanged"  # a copy of the readable file is kept
    with duckdb.connect() as con:  # the same tables, in 2.0's own format
        con.execute(f"attach '{serving}' as old (read_only)")
        con.execute(f"attach '{tmp_path / 'new.duckdb'}' as new (storage_version 'latest')")
        con.execute("copy from database old to new")
        con.execute("use new")
        assert publishing.storage_version(con) == "v2.0.0+"
    (tmp_path / "new.duckdb").replace(serving)
    assert publish("run-3").changes["marts.mart_one"].how == "copied"
    with duckdb.connect(str(serving), read_only=True) as con:
        assert publishing.storage_version(con) == f"{publishing.SERVING_STORAGE_VERSION}+"
        assert con.execute("select count(distinct publish_id) from meta.publish_log").fetchone()[0] == 3
    read = _read_with(OLD_CLIENTS[0], serving)
    assert read["counts"]["marts.mart_one"] == 1000


def test_superset_style_read_only_engine_reads_every_mart(warehouse):
    engine = sa.create_engine(f"duckdb:///{warehouse.serving_db}", connect_args={"read_only": True})
    try:
        with engine.connect() as con:
            marts = [
                row[0]
                for row in con.execute(
                    sa.text("select table_name from information_schema.tables where table_schema = 'marts' order by 1")
                )
            ]
            assert "dim_customers" in marts and "fct_orders" in marts
            logged = dict(
                con.execute(
                    sa.text(
                        "select table_name, row_count from meta.publish_log "
                        "where publish_id = (select max_by(publish_id, published_at) from meta.publish_log)"
                    )
                ).all()
            )
            for mart in marts:
                rows = con.execute(sa.text(f"select * from marts.{mart}")).all()
                assert len(rows) == logged[f"marts.{mart}"], mart
            # read-only really is read-only
            try:
                con.execute(sa.text("create table marts.scratch as select 1"))
                wrote = True
            except Exception:  # noqa: BLE001 - duckdb raises its own error type through SQLAlchemy
                wrote = False
            assert not wrote
    finally:
        engine.dispose()


def test_parquet_copies_match_the_serving_file(warehouse):
    for name, count in warehouse.query(
        "select table_name, row_count from meta.publish_log "
        "where publish_id = (select max_by(publish_id, published_at) from meta.publish_log)"
    ):
        mart = name.split(".", 1)[1]
        path = (
            warehouse.serving_db.parent / "parquet" / (f"{mart}/*.parquet" if mart in PARTITIONS else f"{mart}.parquet")
        )
        assert warehouse.scalar(f"select count(*) from read_parquet('{path}')") == count
