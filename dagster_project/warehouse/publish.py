"""Write–audit–publish, the publish half: bring the audited marts into a new serving file and swap it in.

BI tools keep reading data/serving/warehouse.duckdb while a build runs. We never open that file for writing:
a new file is made in serving/.staging/ under the same name and `os.replace`d onto it (atomic on POSIX), so a
reader sees the old snapshot or the new one, never half. Readers with an open connection keep their snapshot.
The new file carries meta.publish_log (every publish so far, one row per table) so a reader can tell which
build it sees. Parquet copies follow, each swapped in the same way.

A daily run changes a few partitions of the large marts (today's RFM snapshot, this month's deliveries), so the
new file starts as a byte copy of the serving file and only what differs is re-written: per partition of a mart
(PARTITIONS) the build and the serving copy are compared by the sum of their rows' hashes; partitions
that differ are deleted and inserted again from the build, a mart whose columns changed (or that is new) is
copied whole, a mart no longer built is dropped. Parquet files are written again only for marts that changed.
The serving file's marts therefore always hold the same rows as the build's (tests/test_publish.py checks it);
row order is not kept, so BI queries need their own `order by`, as they always did.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.quality.faults import pause_point

PUBLISHED_SCHEMAS = ("marts",)

# The partition of each large mart: a publish re-writes a mart's changed partitions only. Any expression of the
# mart's columns works (a wrong choice costs time, never rows); a mart not named here is one partition.
PARTITIONS = {
    "fct_orders": "date_trunc('month', ordered_date)",
    "fct_deliveries": "date_trunc('month', delivered_date)",
    "mart_customer_rfm": "snapshot_date",
    "mart_factory_scorecard": "(period_grain, period_start)",
}


@dataclass(frozen=True)
class TableChange:
    partitions: int  # partitions in the build's table
    rewritten: int  # of them written into the serving file this publish (all of them when copied whole)
    how: str  # "unchanged", "partitions", "copied" (new, columns changed or everything changed), "dropped"


@dataclass(frozen=True)
class PublishResult:
    publish_id: str
    serving_db: Path
    row_counts: dict[str, int]
    changes: dict[str, TableChange] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    """Make a file's bytes (or a directory's entries) durable before anyone can see them."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _start_from_previous(serving_db: Path, new_db: Path, config: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """A connection to the new file: a copy of the serving file when it can be used, else an empty file."""
    if serving_db.exists() and not Path(f"{serving_db}.wal").exists():
        shutil.copyfile(serving_db, new_db)
        con = None
        try:
            con = duckdb.connect(str(new_db), config=config)
            con.execute("select count(*) from meta.publish_log").fetchone()
            return con
        except duckdb.Error:  # an older or damaged file: start empty (its publish history is carried below)
            if con is not None:
                con.close()
            new_db.unlink()
    return duckdb.connect(str(new_db), config=config)


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        """
        select column_name, data_type from duckdb_columns()
        where database_name = ? and schema_name = ? and table_name = ?
        order by column_index
        """,
        [database, schema, table],
    ).fetchall()


def _sync_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, database: str) -> TableChange:
    """Make `schema.table` of the new file hold the rows of `build.schema.table`, re-writing what differs."""
    name, source, part = f"{schema}.{table}", f"build.{schema}.{table}", PARTITIONS.get(table, "0")
    # per partition: the sum of the rows' hashes (_publish_row is the whole row as a struct; a sum, not a xor, so
    # that two equal rows do not cancel out), and the row count (an empty side has none)
    fingerprint = (
        "select {part} as part, count(*) as n, sum(hash(_publish_row)) as h from {table} as _publish_row group by 1"
    )
    con.execute(f"create or replace temp table build_partitions as {fingerprint.format(part=part, table=source)}")
    partitions = con.execute("select count(*) from build_partitions").fetchone()[0]
    if _columns(con, database, schema, table) != _columns(con, "build", schema, table):  # new, or columns changed
        con.execute(f"create or replace table {name} as select * from {source}")
        return TableChange(partitions, partitions, "copied")
    con.execute(
        f"""
        create or replace temp table changed_partitions as
        select coalesce(new.part, old.part) as part, new.n is not null as in_build
        from build_partitions as new
        full join ({fingerprint.format(part=part, table=name)}) as old on new.part is not distinct from old.part
        where new.h is distinct from old.h
        """
    )
    changed, in_build = con.execute(
        "select count(*), count(*) filter (where in_build) from changed_partitions"
    ).fetchone()
    if changed == 0:
        return TableChange(partitions, 0, "unchanged")
    if in_build == partitions:  # every partition changed: one copy beats delete + insert
        con.execute(f"create or replace table {name} as select * from {source}")
        return TableChange(partitions, partitions, "copied")
    match = f"exists (select 1 from changed_partitions as c where c.part is not distinct from ({part}))"
    con.execute(f"delete from {name} where {match}")
    con.execute(f"insert into {name} select * from {source} where {match}")
    return TableChange(partitions, in_build, "partitions")


def publish(
    build_db: Path,
    serving_db: Path,
    publish_id: str,
    as_of: dt.date,
    source: str,
    config: dict[str, str] | None = None,
) -> PublishResult:
    serving_dir = serving_db.parent
    staging_dir = serving_dir / ".staging"
    shutil.rmtree(staging_dir, ignore_errors=True)  # leftovers of a killed publish: never half-used
    (staging_dir / "parquet").mkdir(parents=True)
    new_db = staging_dir / serving_db.name
    parquet_dir = serving_dir / "parquet"
    timings: dict[str, float] = {}
    started = time.perf_counter()

    row_counts: dict[str, int] = {}
    changes: dict[str, TableChange] = {}
    con = _start_from_previous(serving_db, new_db, config or {})
    try:
        database = con.execute("select current_database()").fetchone()[0]
        timings["copy_previous_s"] = time.perf_counter() - started
        con.execute(f"attach {_sql_string(build_db)} as build (read_only)")
        # the as-of day the marts were built for is the one the ingest recorded (files: the last day loaded)
        as_of = con.execute("select max(as_of_date) from build.raw.run_context").fetchone()[0] or as_of

        def tables_of(db: str) -> list[tuple[str, str]]:
            return con.execute(
                """
                select schema_name, table_name from duckdb_tables()
                where database_name = ? and schema_name in ?
                order by all
                """,
                [db, list(PUBLISHED_SCHEMAS)],
            ).fetchall()

        tables = tables_of("build")
        for schema, table in tables_of(database):
            if (schema, table) not in tables:
                con.execute(f"drop table {schema}.{table}")
                changes[f"{schema}.{table}"] = TableChange(0, 0, "dropped")
        for schema, table in tables:
            con.execute(f"create schema if not exists {schema}")
            changes[f"{schema}.{table}"] = _sync_table(con, schema, table, database)
            row_counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
        con.execute("detach build")
        timings["tables_s"] = time.perf_counter() - started - timings["copy_previous_s"]

        con.execute("create schema if not exists meta")
        con.execute(
            """
            create table if not exists meta.publish_log (
                publish_id varchar, as_of_date date, published_at timestamp, source varchar,
                table_name varchar, row_count bigint
            )
            """
        )
        if serving_db.exists() and not con.execute("select count(*) from meta.publish_log").fetchone()[0]:
            try:  # the file was started empty: carry the history of earlier publishes forward
                con.execute(f"attach {_sql_string(serving_db)} as previous (read_only)")
                con.execute("insert into meta.publish_log select * from previous.meta.publish_log")
                con.execute("detach previous")
            except duckdb.Error:
                pass  # an older file without a log: the history starts here
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.executemany(
            "insert into meta.publish_log values (?, ?, ?, ?, ?, ?)",
            [[publish_id, as_of, now, source, name, count] for name, count in row_counts.items()],
        )
        parquet_started = time.perf_counter()
        for name in row_counts:
            file = f"{name.split('.', 1)[1]}.parquet"
            if changes[name].how != "unchanged" or not (parquet_dir / file).exists():
                con.execute(f"copy {name} to {_sql_string(staging_dir / 'parquet' / file)} (format parquet)")
        con.execute("checkpoint")
        timings["parquet_s"] = time.perf_counter() - parquet_started
    finally:
        con.close()

    for file in [new_db, *(staging_dir / "parquet").iterdir()]:
        _fsync(file)
    pause_point("publish")  # crash tests: the staging copy is complete, the serving file not yet replaced
    os.replace(new_db, serving_db)  # the one atomic step readers can observe
    _fsync(serving_dir)
    parquet_dir.mkdir(exist_ok=True)
    for file in sorted((staging_dir / "parquet").iterdir()):
        os.replace(file, parquet_dir / file.name)
    for name, change in changes.items():
        if change.how == "dropped":
            (parquet_dir / f"{name.split('.', 1)[1]}.parquet").unlink(missing_ok=True)
    _fsync(parquet_dir)
    shutil.rmtree(staging_dir, ignore_errors=True)
    timings["total_s"] = time.perf_counter() - started
    return PublishResult(publish_id, serving_db, row_counts, changes, {k: round(v, 2) for k, v in timings.items()})
