"""Loading a source's rows into the `raw` schema of the build database, idempotently, with a load history.

Plain Python over DuckDB (no Dagster) so it can be tested and benchmarked alone. A load replaces the rows of the
partition days it covers, so pulling a day twice leaves one copy. Every load writes one row per table to
`meta.load_history` with rows in / loaded / quarantined.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from dagster_project.sources.contract import RAW_TABLES, RawTable

META_COLUMNS = (
    ("_partition_date", "DATE"),
    ("_load_id", "VARCHAR"),
    ("_source", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
)


@dataclass(frozen=True)
class LoadStats:
    table: str
    load_id: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int


def new_load_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables from the contract and the meta tables, if missing."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists meta")
    for table in RAW_TABLES.values():
        columns = [f"{c.name} {c.type}" for c in table.columns] + [f"{n} {t}" for n, t in META_COLUMNS]
        con.execute(f"create table if not exists raw.{table.name} ({', '.join(columns)})")
    con.execute(
        """
        create table if not exists meta.load_history (
            load_id varchar,
            table_name varchar,
            first_day date,
            last_day date,
            source varchar,
            rows_in bigint,
            rows_loaded bigint,
            rows_quarantined bigint,
            loaded_at timestamp
        )
        """
    )


def load_table(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    data: pa.Table,
    first_day: dt.date,
    last_day: dt.date,
    load_id: str,
    source: str,
) -> LoadStats:
    """Replace the partition days [first_day, last_day] of raw.<table> with `data` in one transaction."""
    missing = [c for c in table.column_names + ["_partition_date"] if c not in data.column_names]
    if missing:
        raise ValueError(f"source {source!r} delivered raw.{table.name} without column(s) {', '.join(missing)}")
    con.register("incoming", data)
    casts = ",\n".join(f"cast({c.name} as {c.type}) as {c.name}" for c in table.columns)
    row_source = "coalesce(_source, ?)" if "_source" in data.column_names else "?"
    try:
        con.execute("begin transaction")
        con.execute(
            f"delete from raw.{table.name} where _partition_date between ? and ?", [first_day, last_day]
        )
        con.execute(
            f"""
            insert into raw.{table.name}
            select
                {casts},
                cast(_partition_date as date),
                ?,
                {row_source},
                current_timestamp
            from incoming
            where cast(_partition_date as date) between ? and ?
            """,
            [load_id, source, first_day, last_day],
        )
        rows_in = data.num_rows
        rows_loaded = con.execute(
            f"select count(*) from raw.{table.name} where _load_id = ?", [load_id]
        ).fetchone()[0]
        stats = LoadStats(table.name, load_id, rows_in, rows_loaded, rows_in - rows_loaded)
        con.execute(
            "insert into meta.load_history values (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [load_id, table.name, first_day, last_day, source, rows_in, rows_loaded, stats.rows_quarantined],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("incoming")
    return stats


def write_run_context(con: duckdb.DuckDBPyConnection, as_of: dt.date, source: str) -> None:
    """Record the as-of day of this build for dbt (macro as_of_date) in raw.run_context."""
    con.execute("create table if not exists raw.run_context (as_of_date date, source varchar, written_at timestamp)")
    con.execute("delete from raw.run_context")
    con.execute("insert into raw.run_context values (?, ?, current_timestamp)", [as_of, source])


def world_start(con: duckdb.DuckDBPyConnection, default: dt.date) -> dt.date:
    """The simulator world's first day: the one recorded by the first load, so daily runs extend the same world."""
    con.execute("create table if not exists meta.sim_world (start_date date)")
    row = con.execute("select min(start_date) from meta.sim_world").fetchone()
    if row[0] is not None:
        return row[0]
    con.execute("insert into meta.sim_world values (?)", [default])
    return default
