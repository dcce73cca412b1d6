"""Write–audit–publish, the publish half: bring the audited marts into a new serving file and swap it in.

BI tools keep reading data/serving/warehouse.duckdb while a build runs. We never open that file for writing:
a new file is made in serving/.staging/ under the same name and `os.replace`d onto it (atomic on POSIX), so a
reader sees the old snapshot or the new one, never half. Readers with an open connection keep their snapshot.
The new file carries meta.publish_log (every publish so far, one row per table) so a reader can tell which
build it sees. Parquet copies follow, each swapped in the same way.

A daily run changes a few partitions of the large marts (today's RFM snapshot, this month's deliveries), so the
new file starts as a byte copy of the serving file and only what differs is re-written: per partition of a mart
(PARTITIONS) the build and the serving copy are compared by the sum of their rows' 64-bit hashes; partitions
that differ are deleted and inserted again from the build, a mart whose columns changed (or that is new) is
copied whole, a mart no longer built is dropped. Parquet files are written again only for marts that changed.
The serving file's marts therefore always hold the same rows as the build's (tests/test_publish.py checks it);
row order is not kept, so BI queries need their own `order by`, as they always did. The new file starts empty
instead (every mart copied, every Parquet file written) when the serving file cannot be read (a damaged block
shows only when read: the publish then starts over from empty), has a WAL beside it, or is more than a third
free blocks; a publish after a killed one writes every Parquet file again (the kill may have come between the
two swaps).
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

COMPACT_FREE_BYTES = 256 * 2**20


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


def _open_new_file(serving_db: Path, new_db: Path, config: dict[str, str]) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A connection to the new file, and whether it starts as a copy of the serving file. It starts empty when
    there is no serving file, a WAL beside it (someone wrote to it), it cannot be read, or more than a third of it
    is free blocks, and more than COMPACT_FREE_BYTES (deleted partitions: an empty start writes it compact again)."""
    if serving_db.exists() and not Path(f"{serving_db}.wal").exists():
        shutil.copyfile(serving_db, new_db)
        con = None
        try:
            con = duckdb.connect(str(new_db), config=config)
            con.execute("select count(*) from meta.publish_log").fetchone()
            free, used, block = con.execute(
                "select free_blocks, used_blocks, block_size from pragma_database_size()"
            ).fetchone()
            if free * 2 <= used or free * block < COMPACT_FREE_BYTES:
                return con, True
            con.close()
        except duckdb.Error:  # an older or damaged file
            if con is not None:
                con.close()
        new_db.unlink()
    return duckdb.connect(str(new_db), config=config), False


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
    try:
        con.execute(f"select {part} from {source} limit 0")
    except duckdb.BinderException:
        part = "0"  # PARTITIONS no longer fits the mart's columns: one partition (slower, never wrong)
    columns = _columns(con, "build", schema, table)
    if _columns(con, database, schema, table) != columns:  # new, or its columns changed
        con.execute(f"create or replace table {name} as select * from {source}")
        partitions = con.execute(f"select count(distinct ({part})) from {name}").fetchone()[0]
        return TableChange(partitions, partitions, "copied")
    # per partition: the sum of the rows' hashes (_publish_row is the whole row as a struct; a sum, not a xor, so
    # that two equal rows do not cancel out), and the row count (an empty side has none). DuckDB hashes a NULL
    # list like an empty one, so nested columns are hashed once more as text (9x slower: only those columns).
    nested = "".join(
        f', "{column}"::varchar'
        for column, data_type in columns
        if data_type.endswith("]") or data_type.startswith(("STRUCT", "MAP", "UNION"))
    )
    fingerprint = (
        f"select {{part}} as part, count(*) as n, sum(hash(_publish_row{nested})) as h "
        "from {table} as _publish_row group by 1"
    )
    con.execute(f"create or replace temp table build_partitions as {fingerprint.format(part=part, table=source)}")
    partitions = con.execute("select count(*) from build_partitions").fetchone()[0]
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


def _write(
    con: duckdb.DuckDBPyConnection,
    build_db: Path,
    staging_dir: Path,
    parquet_dir: Path,
    publish_id: str,
    as_of: dt.date,
    source: str,
    serving_db: Path,
    all_parquet: bool,
) -> tuple[dict[str, int], dict[str, TableChange], dict[str, float]]:
    """Bring the marts of `build_db` into the new file behind `con`, log the publish, write the Parquet files."""
    started = time.perf_counter()
    row_counts: dict[str, int] = {}
    changes: dict[str, TableChange] = {}
    timings: dict[str, float] = {}
    database = con.execute("select current_database()").fetchone()[0]
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
    timings["tables_s"] = time.perf_counter() - started

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
            pass  # an older or damaged file without a readable log: the history starts here
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.executemany(
        "insert into meta.publish_log values (?, ?, ?, ?, ?, ?)",
        [[publish_id, as_of, now, source, name, count] for name, count in row_counts.items()],
    )
    parquet_started = time.perf_counter()
    for name in row_counts:
        file = f"{name.split('.', 1)[1]}.parquet"
        if all_parquet or changes[name].how != "unchanged" or not (parquet_dir / file).exists():
            con.execute(f"copy {name} to {_sql_string(staging_dir / 'parquet' / file)} (format parquet)")
    con.execute("checkpoint")
    timings["parquet_s"] = time.perf_counter() - parquet_started
    return row_counts, changes, timings


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
    parquet_dir = serving_dir / "parquet"
    # a staging folder left behind means a publish was killed, maybe between the database and the Parquet swaps:
    # this one writes every Parquet file again
    interrupted = staging_dir.exists()
    shutil.rmtree(staging_dir, ignore_errors=True)  # leftovers of a killed publish: never half-used
    (staging_dir / "parquet").mkdir(parents=True)
    new_db = staging_dir / serving_db.name
    started = time.perf_counter()

    con, from_copy = _open_new_file(serving_db, new_db, config or {})
    copied_s = time.perf_counter() - started
    args = (build_db, staging_dir, parquet_dir, publish_id, as_of, source, serving_db)
    try:
        row_counts, changes, timings = _write(con, *args, all_parquet=interrupted or not from_copy)
    except duckdb.Error:
        if not from_copy:
            raise
        con.close()  # a copy with a damaged block fails here, not when opened: write everything from the build
        shutil.rmtree(staging_dir)
        (staging_dir / "parquet").mkdir(parents=True)
        con = duckdb.connect(str(new_db), config=config or {})
        row_counts, changes, timings = _write(con, *args, all_parquet=True)
    finally:
        con.close()
    timings = {"copy_previous_s": copied_s if from_copy else 0.0, **timings}

    for file in [new_db, *(staging_dir / "parquet").iterdir()]:
        _fsync(file)
    pause_point("publish")  # crash tests: the staging copy is complete, the serving file not yet replaced
    Path(f"{serving_db}.wal").unlink(missing_ok=True)  # a stale WAL would not match the new file (never copied)
    os.replace(new_db, serving_db)  # the one atomic step readers can observe
    _fsync(serving_dir)
    parquet_dir.mkdir(exist_ok=True)
    for file in sorted((staging_dir / "parquet").iterdir()):
        os.replace(file, parquet_dir / file.name)
    published = {f"{name.split('.', 1)[1]}.parquet" for name in row_counts}
    for file in parquet_dir.glob("*.parquet"):
        if file.name not in published:  # a mart no longer built (or one a killed publish left behind)
            file.unlink()
    _fsync(parquet_dir)
    shutil.rmtree(staging_dir, ignore_errors=True)
    timings["total_s"] = time.perf_counter() - started
    return PublishResult(publish_id, serving_db, row_counts, changes, {k: round(v, 2) for k, v in timings.items()})
