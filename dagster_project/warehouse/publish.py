"""Write–audit–publish, the publish half: copy the audited marts into a brand-new serving file and swap it in.

BI tools keep reading data/serving/warehouse.duckdb while a build runs. We never open that file for writing:
a new file is built in serving/.staging/ under the same name and `os.replace`d onto it (atomic on POSIX), so a
reader sees the old snapshot or the new one, never half. Readers with an open connection keep their snapshot.
The new file carries meta.publish_log (every publish so far, one row per table) so a reader can tell which
build it sees. Parquet copies follow, each swapped in the same way.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.quality.faults import pause_point

PUBLISHED_SCHEMAS = ("marts",)


@dataclass(frozen=True)
class PublishResult:
    publish_id: str
    serving_db: Path
    row_counts: dict[str, int]


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    """Make a file's bytes (or a directory's entries) durable before anyone can see them."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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

    row_counts: dict[str, int] = {}
    con = duckdb.connect(str(new_db), config=config or {})
    try:
        con.execute(f"attach {_sql_string(build_db)} as build (read_only)")
        # the as-of day the marts were built for is the one the ingest recorded (files: the last day loaded)
        as_of = con.execute("select max(as_of_date) from build.raw.run_context").fetchone()[0] or as_of
        tables = con.execute(
            """
            select schema_name, table_name from duckdb_tables()
            where database_name = 'build' and schema_name in ?
            order by all
            """,
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        for schema, table in tables:
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from build.{schema}.{table}")
            row_counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
        con.execute("detach build")

        con.execute("create schema meta")
        con.execute(
            """
            create table meta.publish_log (
                publish_id varchar, as_of_date date, published_at timestamp, source varchar,
                table_name varchar, row_count bigint
            )
            """
        )
        if serving_db.exists():  # carry the history of earlier publishes forward
            try:
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
        for name in row_counts:
            target = staging_dir / "parquet" / f"{name.split('.', 1)[1]}.parquet"
            con.execute(f"copy {name} to {_sql_string(target)} (format parquet)")
        con.execute("checkpoint")
    finally:
        con.close()

    for file in [new_db, *(staging_dir / "parquet").iterdir()]:
        _fsync(file)
    pause_point("publish")  # crash tests: the staging copy is complete, the serving file not yet replaced
    os.replace(new_db, serving_db)  # the one atomic step readers can observe
    _fsync(serving_dir)
    parquet_dir = serving_dir / "parquet"
    parquet_dir.mkdir(exist_ok=True)
    for file in sorted((staging_dir / "parquet").iterdir()):
        os.replace(file, parquet_dir / file.name)
    _fsync(parquet_dir)
    shutil.rmtree(staging_dir, ignore_errors=True)
    return PublishResult(publish_id, serving_db, row_counts)
