"""Write–audit–publish, the publish half: bring the audited marts into a new serving file and swap it in.

BI tools keep reading data/serving/warehouse.duckdb while a build runs. We never open that file for writing:
a new file is made in serving/.staging/ under the same name and `os.replace`d onto it (atomic on POSIX), so a
reader sees the old snapshot or the new one, never half. Readers with an open connection keep their snapshot.
The new file carries meta.publish_log (every publish so far, one row per table) so a reader can tell which
build it sees. Parquet copies follow, each swapped in the same way: `parquet/<mart>.parquet`, and for the large
marts a folder with one file per partition, `parquet/<mart>/<partition>.parquet` (read `<mart>/*.parquet`).

A daily run changes a few partitions of the large marts (today's RFM snapshot, this month's deliveries), so the
new file starts as a byte copy of the serving file and only what differs is re-written: per group of a mart's rows
(the rows alike in the columns its PARTITIONS expression names, e.g. one delivery day) the build and the serving
copy are compared by their row count and the sum of their rows' 64-bit hashes (of the rows' WRITTEN_AT stamps
alone, for a mart that has that column); groups that differ are deleted and inserted again from the build, a mart
whose groups all differ, whose columns changed (or that is new) is copied whole, a mart no longer built is dropped.
Parquet files are written again only for the marts and partitions holding a group that changed; a partition no
longer built loses its file.
The serving file's marts therefore always hold the same rows as the build's (tests/test_publish.py checks it);
row order is not kept, so BI queries need their own `order by`, as they always did. The new file starts empty
instead (every mart copied, every Parquet file written) when the serving file cannot be read (a damaged block
shows only when read: the publish then starts over from empty), has a WAL beside it, or is more than a third
free blocks; a publish after a killed one writes every Parquet file again (the kill may have come between the
two swaps).

The serving file is written in DuckDB's storage format of SERVING_STORAGE_VERSION, not the newest one: files in
duckdb 2.0's own format cannot be opened by DuckDB 1.x clients (Evidence, DuckDB for Node, the DuckDB CLI, the JDBC
driver of DBeaver and Metabase: "version number 999 ... between 64 and 67"). tests/test_bi_access.py reads every
mart with a real DuckDB 1.x client.

Every mart and column carries its dbt description as a comment, money columns with the shop's currency, and
meta.shop names the currency and time zone (serving_docs.py; the publish asset passes them).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.quality.faults import pause_point
from dagster_project.settings import DuckDBConfig
from dagster_project.warehouse import pii, serving_docs
from dagster_project.warehouse.rules import quote_identifier

PUBLISHED_SCHEMAS = ("marts",)

# The partition of each large mart: a publish re-writes a mart's changed groups in the serving file and the changed
# partitions' files in its Parquet folder, where the partition's text names the file. Any expression of the mart's
# columns works (a wrong choice costs time, never rows; partitions whose names come out alike share a file); a mart
# not named here is one partition and one Parquet file. The publish groups a mart's rows by the columns the
# expression names (a group: the rows alike in them, compared and re-written as one) and works the expression out
# once per group, so name columns with few values (a date, not a timestamp). Column names starting with _publish_
# are the publish's own (a mart with one stops the publish with an error naming it).
PARTITIONS = {
    "fct_orders": "strftime(ordered_date, '%Y-%m')",
    "fct_deliveries": "strftime(delivered_date, '%Y-%m')",
    "mart_customer_rfm": "strftime(snapshot_date, '%Y-%m-%d')",
    "mart_factory_scorecard": "period_grain || '-' || strftime(period_start, '%Y-%m-%d')",
}

# A mart with this column (a timestamp) is compared by it instead of by its whole rows: every dbt run that writes
# a row of such a mart stamps it with the run's start (run_started_at_utc()), and dbt writes rows in no other way,
# so a partition whose rows kept their stamps (the same count, the same sum of their hashes) kept its rows. A row
# deleted changes the count, a row written changes the sum. In a TPC-H SF10 daily publish, hashing the whole rows
# of fct_deliveries, mart_customer_rfm and mart_factory_scorecard on both sides took ~22 s, their stamps ~0.8 s.
# The price: the publish no longer reads those marts' other columns in partitions that did not change, so a
# damaged block there is not found by it (a BI query reading it fails on DuckDB's checksum; the next full build,
# which stamps every row, writes it again).
WRITTEN_AT = "processed_at"

# The oldest DuckDB release whose readers open the serving file (its storage format; a file copied from an earlier
# publish keeps its format, so a serving file in another one is written again from empty). v1.0.0 is read by every
# DuckDB 1.x and 2.x client; the newer formats add compression (ZSTD strings, 1.2) that the marts barely use.
SERVING_STORAGE_VERSION = "v1.0.0"

COMPACT_FREE_BYTES = 256 * 2**20
EMPTY_FILE = "empty"  # the Parquet file (without rows) of a PARTITIONS mart with no rows: the folder stays readable


@dataclass(frozen=True)
class TableChange:
    partitions: int  # partitions in the build's table
    rewritten: int  # of them holding a group written into the serving file this publish (copied whole: all)
    how: str  # "unchanged", "partitions" (changed groups), "copied" (new, columns or every group changed), "dropped"
    rows: int = field(default=0, compare=False)  # rows written into the serving file this publish (copied: all)


@dataclass(frozen=True)
class _Synced:
    name: str  # schema.table
    change: TableChange
    part: str  # the partition expression used (PARTITIONS', or "0": not in PARTITIONS, or names no column it has)
    base: tuple[str, ...]  # the mart's columns `part` names, quoted: rows are grouped by them (groups: _parts_table)
    files: frozenset[str]  # the names of the Parquet files of the mart's partitions (which holds which: _parts_table)
    changed_files: frozenset[str]  # of them, those whose rows changed

    @property
    def mart(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def partitioned(self) -> bool:  # a folder of Parquet files, one per partition
        return self.mart in PARTITIONS


def _parts_table(name: str) -> str:
    """The temp table of mart `name`'s groups: the columns its partition expression names (see _Synced.base), the
    partition (_publish_part) and the name of its Parquet file (_publish_file), one row per group (one row for a
    mart not in PARTITIONS)."""
    return f'"_publish_parts.{name}"'


@dataclass(frozen=True)
class PublishResult:
    publish_id: str
    serving_db: Path
    row_counts: dict[str, int]
    changes: dict[str, TableChange] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    masked: dict[str, int] = field(default_factory=dict)  # "schema.table.column" -> rows whose PII was masked


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    """Make a file's bytes (or a directory's entries) durable before anyone can see them."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _connect(new_db: Path, config: DuckDBConfig) -> duckdb.DuckDBPyConnection:
    """A connection to the new file; a file it creates is in SERVING_STORAGE_VERSION's format."""
    return duckdb.connect(str(new_db), config={**config, "storage_compatibility_version": SERVING_STORAGE_VERSION})


def storage_version(con: duckdb.DuckDBPyConnection) -> str:
    """The storage format of `con`'s database file, as DuckDB names it: the oldest release that reads it, e.g.
    'v1.0.0+'."""
    return con.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]


def _open_new_file(serving_db: Path, new_db: Path, config: DuckDBConfig) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A connection to the new file, and whether it starts as a copy of the serving file. It starts empty when
    there is no serving file, a WAL beside it (someone wrote to it), it cannot be read, is in another storage format
    than SERVING_STORAGE_VERSION's, or more than a third of it is free blocks, and more than COMPACT_FREE_BYTES
    (deleted partitions: an empty start writes it compact again)."""
    if serving_db.exists() and not Path(f"{serving_db}.wal").exists():
        shutil.copyfile(serving_db, new_db)
        con = None
        try:
            con = _connect(new_db, config)
            con.execute("select count(*) from meta.publish_log").fetchone()
            free, used, block = con.execute(
                "select free_blocks, used_blocks, block_size from pragma_database_size()"
            ).fetchone()
            same_format = storage_version(con) == f"{SERVING_STORAGE_VERSION}+"
            if same_format and (free * 2 <= used or free * block < COMPACT_FREE_BYTES):
                return con, True
            con.close()
        except duckdb.Error:  # an older or damaged file
            if con is not None:
                con.close()
        new_db.unlink()
    return _connect(new_db, config), False


def _file_name(part: str) -> str:
    """SQL: the name of the Parquet file (without .parquet) that holds partition `part`: its text, with anything but
    letters, digits, - and _ replaced by _ (NULL or nothing left: "null")."""
    return f"coalesce(nullif(regexp_replace(({part})::varchar, '[^0-9A-Za-z_-]', '_', 'g'), ''), 'null')"


def _keep_parts(con: duckdb.DuckDBPyConnection, keep_as: str, groups: str) -> tuple[int, frozenset[str]]:
    """Keep `groups` (one row per group of a mart's rows: its base columns and _publish_part) with each partition's
    Parquet file name in temp table `keep_as`; return how many partitions there are and the names of their files."""
    file = _file_name("_publish_part")
    con.execute(f"create or replace temp table {keep_as} as select *, {file} as _publish_file from ({groups})")
    count, files = con.execute(
        f"select (select count(*) from (select distinct _publish_part from {keep_as})), "
        f"coalesce(list(distinct _publish_file), []) from {keep_as}"
    ).fetchone()
    return count, frozenset(files)


def _base_columns(part: str, columns: list[tuple[str, str]]) -> tuple[str, ...]:
    """The mart's columns that partition expression `part` names, quoted (as "quoted identifiers" or bare words, in
    any case; string literals are skipped)."""
    words = re.findall(r"'(?:[^']|'')*'|\"((?:[^\"]|\"\")+)\"|(\w+)", part)
    named = {(quoted.replace('""', '"') or bare).lower() for quoted, bare in words}
    return tuple(quote_identifier(column) for column, _ in columns if column.lower() in named)


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        """
        select column_name, data_type from duckdb_columns()
        where database_name = ? and schema_name = ? and table_name = ?
        order by column_index
        """,
        [database, schema, table],
    ).fetchall()


def _labelled(relation: str, part: str, base: tuple[str, ...], alias: str) -> str:
    """SQL: the base columns of `relation`'s rows with their partition (_publish_part). The expression sees those
    columns alone, under the mart's name (it may say fct_orders.x): the check that it fits and the grouping both use
    this query, so they see the same columns."""
    return f"select *, {part} as _publish_part from (select {', '.join(base)} from {relation}) as {alias}"


def _on(left: str, right: str, base: tuple[str, ...]) -> str:
    """SQL: rows of `left` and `right` are in the same group (NULL matches NULL)."""
    return " and ".join(f"{left}.{c} is not distinct from {right}.{c}" for c in base) or "true"


def _within(con: duckdb.DuckDBPyConnection, changed: str, base: tuple[str, ...]) -> tuple[str, list]:
    """SQL ` and t.<column> between ? and ?` for each base column, bounded by its values in the `changed` groups,
    with the bounds. Rows are picked by a join on their group's columns; the bounds come first, because DuckDB
    turns them into a filter on the scan and reads a row's other columns only where it holds, where the join alone
    reads every column of every row (the 2 changed months of TPC-H SF10's fct_deliveries, 58 M rows: reading them
    2.8 -> 1.7 s warm, the daily publish's insert 8.4 -> 4.1 s). A column with NULL in a changed group gets no
    bounds: `between` never holds for NULL."""
    if not base:
        return "", []
    figures = ", ".join(f"min({c}), max({c}), count(*) filter (where {c} is null)" for c in base)
    found = con.execute(f"select {figures} from {changed}").fetchone()
    sql, bounds = "", []
    for i, column in enumerate(base):
        low, high, nulls = found[3 * i : 3 * i + 3]
        if low is not None and not nulls:
            sql += f" and t.{column} between ? and ?"
            bounds += [low, high]
    return sql, bounds


def _sync_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, database: str) -> _Synced:
    """Make `schema.table` of the new file hold the rows of `build.schema.table`, re-writing what differs."""
    name, source, part = f"{schema}.{table}", f"build.{schema}.{table}", PARTITIONS.get(table, "0")
    columns = _columns(con, "build", schema, table)
    for column, _ in columns:
        if column.lower().startswith("_publish_"):
            raise ValueError(f"{name}: column {column}: names starting with _publish_ are the publish's own, rename it")
    base, alias = _base_columns(part, columns), quote_identifier(table)
    try:  # the expression is worked out from the columns it names alone
        if base:
            con.execute(f"{_labelled(source, part, base, alias)} limit 0")
    except duckdb.BinderException:
        base = ()
    if not base:  # not in PARTITIONS, or names none of the mart's columns (it no longer fits): one partition
        part = "0"
    nested = "".join(
        f", {quote_identifier(column)}::varchar"
        for column, data_type in columns
        if data_type.endswith("]") or data_type.startswith(("STRUCT", "MAP", "UNION"))
    )
    stamp = next((c for c, data_type in columns if c.lower() == WRITTEN_AT and data_type.startswith("TIMESTAMP")), None)
    hashed = f"_publish_row.{quote_identifier(stamp)}" if stamp else f"_publish_row{nested}"
    parts_table = _parts_table(name)
    columns_sql = ", ".join(base)

    def groups(relation: str, fingerprint: bool = True) -> str:
        """SQL: `relation`'s rows grouped by the base columns, with each group's partition and, with `fingerprint`,
        row count and sum of the rows' hashes (_publish_row is the whole row as a struct, or its WRITTEN_AT stamp; a
        sum, not a xor, so that two equal rows do not cancel out). DuckDB hashes a NULL list like an empty one, so
        nested columns are hashed once more as text (9x slower: only those columns). The partition's text is worked
        out per group, not per row: hashing TPC-H SF1's four large marts took 0.58 s instead of 0.80 s
        (docs/bench-log.md, "The publish groups rows by the partition's columns")."""
        figures = "count(*) as _publish_n" + (f", sum(hash({hashed})) as _publish_h" if fingerprint else "")
        if not base:  # one group, none for an empty mart
            return f"select {figures}, 0 as _publish_part from {relation} as _publish_row having count(*) > 0"
        # the expression sees the group's columns alone, as in the check above, not the group's figures
        return f"""
            with _publish_groups as materialized (
                select {columns_sql}, {figures} from {relation} as _publish_row group by {columns_sql}
            )
            select g.*, p._publish_part
            from _publish_groups as g
            join ({_labelled("_publish_groups", part, base, alias)}) as p on {_on("g", "p", base)}
            """

    def copied(kept: tuple[int, frozenset[str]] | None = None) -> _Synced:
        """Copy the mart whole; `kept`: the build's groups are in parts_table already (partitions, files)."""
        (rows,) = con.execute(f"create or replace table {name} as select * from {source}").fetchone()
        partitions, files = kept or _keep_parts(con, parts_table, groups(name, fingerprint=False))
        return _Synced(name, TableChange(partitions, partitions, "copied", rows), part, base, files, files)

    if _columns(con, database, schema, table) != columns:  # new, or its columns changed
        return copied()
    partitions, files = _keep_parts(con, parts_table, groups(source))
    con.execute(f"create or replace temp table serving_groups as {groups(name)}")
    # the groups whose rows differ (count or sum of hashes), not the partitions holding them: a daily run re-writes
    # the last days of a month, and re-writing the month whole re-inserted 0.8 M rows of TPC-H SF10's fct_deliveries
    # where 0.22 M had changed (docs/bench-log.md, "Four mart gates profiled per group")
    coalesced = "".join(f"coalesce(new.{c}, old.{c}) as {c}, " for c in base)
    con.execute(
        f"""
        create or replace temp table changed_groups as
        select {coalesced}coalesce(new._publish_part, old._publish_part) as _publish_part,
            new._publish_n is not null as _publish_in_build
        from {parts_table} as new
        full join serving_groups as old on {_on("new", "old", base)}
        where (new._publish_n, new._publish_h) is distinct from (old._publish_n, old._publish_h)
        """
    )
    # in_build: the build's partitions holding a changed group (one whose rows are all gone included)
    changed, changed_in_build, groups_in_build, in_build = con.execute(
        f"""
        select
            count(*),
            count(*) filter (where _publish_in_build),
            (select count(*) from {parts_table}),
            (
                select count(*) from (select distinct _publish_part from changed_groups) as c
                semi join {parts_table} as p on c._publish_part is not distinct from p._publish_part
            )
        from changed_groups
        """
    ).fetchone()
    if changed == 0:
        return _Synced(name, TableChange(partitions, 0, "unchanged"), part, base, files, frozenset())
    if changed_in_build == groups_in_build:  # every group changed: one copy beats delete + insert
        return copied((partitions, files))
    # rows are picked by a join on their group's columns, not by working out each row's partition: inserting the
    # changed months of fct_deliveries at TPC-H SF1 took 0.4 s instead of 0.9 s (docs/bench-log.md, "The publish groups
    # rows by the partition's columns")
    gone = f"(select {columns_sql} from changed_groups) as c"
    new = f"(select {columns_sql} from changed_groups where _publish_in_build) as c"
    within, bounds = _within(con, gone, base)
    con.execute(f"delete from {name} as t using {gone} where {_on('t', 'c', base)}{within}", bounds)
    (rows,) = con.execute(
        f"insert into {name} select t.* from {source} as t semi join {new} on {_on('t', 'c', base)} where true{within}",
        bounds,
    ).fetchone()
    # a partition gone from the build changes a file only if another partition shares it
    changed_files = files & {
        file for (file,) in con.execute(f"select distinct {_file_name('_publish_part')} from changed_groups").fetchall()
    }
    return _Synced(name, TableChange(partitions, in_build, "partitions", rows), part, base, files, changed_files)


def _write_parquet(
    con: duckdb.DuckDBPyConnection, synced: _Synced, staging_dir: Path, parquet_dir: Path, everything: bool
) -> None:
    """Write the Parquet file of a mart into staging_dir/parquet if it changed, or for a PARTITIONS mart the files
    of its partitions that changed (or are missing) into a folder there."""
    name, mart, unchanged = synced.name, synced.mart, synced.change.how == "unchanged"
    if not synced.partitioned:
        file = f"{mart}.parquet"
        if everything or not unchanged or not (parquet_dir / file).exists():
            con.execute(f"copy {name} to {_sql_string(staging_dir / 'parquet' / file)} (format parquet)")
        return
    on_disk = {file.stem for file in (parquet_dir / mart).glob("*.parquet")}
    folder = staging_dir / "parquet" / mart
    if not synced.files:  # no rows: one file without rows keeps the folder readable, with the mart's columns
        if everything or not unchanged or EMPTY_FILE not in on_disk:
            folder.mkdir()
            con.execute(
                f"copy (from {name} limit 0) to {_sql_string(folder / f'{EMPTY_FILE}.parquet')} (format parquet)"
            )
        return
    files = synced.files if everything else synced.changed_files | (synced.files - on_disk)
    if not files:
        return
    # one COPY writes every file, as folders _publish_file=<name>/data_0.parquet (the column itself left out). Rows
    # find their file by joining on their group's columns, so the file name's text is worked out once per group,
    # not per row (twice per row: 2.1 s; a join on the partition's text: 1.0 s; on the group's columns: 0.5 s, for
    # a daily-like publish's Parquet at TPC-H SF1, docs/bench-log.md, "Parquet rows find their file by a join" and the
    # next section)
    # the bounds of the groups' columns (_within) let the scan skip the other columns of the rows outside them: the
    # Parquet files of 2 months of TPC-H SF10's fct_deliveries (58 M rows) took 2.4 s instead of 3.6 s warm, 7.2 s cold
    con.execute("create or replace temp table parquet_files as select unnest(?::varchar[]) as file", [sorted(files)])
    columns = ", ".join((*synced.base, "_publish_file"))
    groups = f"(select {columns} from {_parts_table(name)} where _publish_file in (select file from parquet_files))"
    within, bounds = _within(con, groups, synced.base)
    con.execute(
        f"""
        copy (
            select t.*, p._publish_file
            from {name} as t
            join {groups} as p on {_on("t", "p", synced.base)}
            where true{within}
        ) to {_sql_string(folder)} (format parquet, partition_by (_publish_file))
        """,
        bounds,
    )
    for written in folder.iterdir():
        (data,) = written.iterdir()
        os.replace(data, folder / f"{written.name.split('=', 1)[1]}.parquet")
        written.rmdir()


def _write(
    con: duckdb.DuckDBPyConnection,
    build_db: Path,
    staging_dir: Path,
    parquet_dir: Path,
    publish_id: str,
    as_of: dt.date,
    source: str,
    serving_db: Path,
    docs: serving_docs.ServingDocs | None,
    all_parquet: bool,
) -> tuple[dict[str, int], dict[str, TableChange], dict[str, float], list[_Synced], dict[str, int]]:
    """Bring the marts of `build_db` into the new file behind `con`, log the publish, write the Parquet files
    into staging_dir/parquet; also return what was done to each mart (for the Parquet swap) and the rows whose
    PII was masked per column."""
    started = time.perf_counter()
    row_counts: dict[str, int] = {}
    changes: dict[str, TableChange] = {}
    synced: dict[str, _Synced] = {}
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
        synced[f"{schema}.{table}"] = _sync_table(con, schema, table, database)
        changes[f"{schema}.{table}"] = synced[f"{schema}.{table}"].change
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
    if docs is not None:  # after the marts: a mart copied whole this publish starts without comments
        serving_docs.write(con, docs)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.executemany(
        "insert into meta.publish_log values (?, ?, ?, ?, ?, ?)",
        [[publish_id, as_of, now, source, name, count] for name, count in row_counts.items()],
    )
    masked_at = time.perf_counter()
    masked, scanned_all = _mask_pii(con, synced)
    timings["pii_mask_s"] = time.perf_counter() - masked_at
    parquet_started = time.perf_counter()
    # how each folder's files were named: files named another way (PARTITIONS changed) are all written again
    layouts = {name: _file_name(s.part) for name, s in synced.items() if s.partitioned}
    con.execute("create table if not exists meta.parquet_layout (table_name varchar, file_name_sql varchar)")
    before = dict(con.execute("from meta.parquet_layout").fetchall())
    con.execute("delete from meta.parquet_layout")
    if layouts:  # executemany refuses an empty list (a warehouse without PARTITIONS marts)
        con.executemany("insert into meta.parquet_layout values (?, ?)", list(layouts.items()))
    # a partitioned COPY buffers this many rows per partition before writing (default 512k): at 64k it took 1.3x
    # the time and 0.7x the memory of one plain COPY for 20 M rows in 80 months, against 2.4x and 2x (measured)
    con.execute("set partitioned_write_flush_threshold = 65536")
    for name, s in synced.items():
        changed_layout = s.partitioned and before.get(name) != layouts[name]
        # every row scanned (the rule is new to this file): a mart with masked rows is written whole, its unchanged
        # partitions' files may predate the masking
        has_masked = scanned_all and any(column.startswith(f"{name}.") for column in masked)
        _write_parquet(con, s, staging_dir, parquet_dir, all_parquet or changed_layout or has_masked)
    con.execute("checkpoint")
    timings["parquet_s"] = time.perf_counter() - parquet_started
    return row_counts, changes, timings, list(synced.values()), masked


def _mask_pii(con: duckdb.DuckDBPyConnection, synced: dict[str, _Synced]) -> tuple[dict[str, int], bool]:
    """Mask e-mails and phones typed into free text (warehouse/pii.py) in the rows this publish wrote: the marts
    copied whole and the changed groups of the others; every row when the file does not say it was masked by the
    same rule (meta.pii_rule: a new file, an older serving file, a changed pattern). Returns ({column: rows
    masked}, whether every row was scanned)."""
    known = (
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() and schema_name = 'meta' "
            "and table_name = 'pii_rule'"
        ).fetchone()[0]
        and con.execute("select max(pattern) from meta.pii_rule").fetchone()[0] == pii.ANY
    )
    targets: dict[str, tuple[str, list] | None] = {}
    for name, s in synced.items():
        if not known or s.change.how == "copied":
            targets[name] = None
        elif s.change.how == "partitions":
            targets[name] = (f"{_file_name(s.part)} in (select unnest(?::varchar[]))", [sorted(s.changed_files)])
    masked = pii.mask(con, targets)
    con.execute("create or replace table meta.pii_rule as select ? as pattern", [pii.ANY])
    return masked, not known


def _swap_parquet(staged: Path, parquet_dir: Path, synced: list[_Synced]) -> None:
    """Move the staged Parquet files in, one `os.replace` each (a reader sees a file's old or new version), then
    remove the files no mart or partition has any more (no longer built, or left behind by a killed publish)."""
    marts = {s.mart for s in synced}
    folders = {s.mart: s.files or frozenset({EMPTY_FILE}) for s in synced if s.partitioned}
    parquet_dir.mkdir(exist_ok=True)
    for mart in sorted(folders):
        (parquet_dir / mart).mkdir(exist_ok=True)
    for file in sorted(staged.rglob("*.parquet")):
        os.replace(file, parquet_dir / file.relative_to(staged))
    for entry in parquet_dir.iterdir():
        if entry.is_dir() and entry.name in folders:
            for file in entry.glob("*.parquet"):
                if file.stem not in folders[entry.name]:
                    file.unlink()
            _fsync(entry)
        elif entry.is_dir():
            shutil.rmtree(entry)
        elif entry.suffix == ".parquet" and (entry.stem not in marts or entry.stem in folders):
            entry.unlink()
    _fsync(parquet_dir)


def publish(
    build_db: Path,
    serving_db: Path,
    publish_id: str,
    as_of: dt.date,
    source: str,
    config: DuckDBConfig | None = None,
    docs: serving_docs.ServingDocs | None = None,
) -> PublishResult:
    """Publish the marts of `build_db` as `serving_db` (module docstring); `docs`: the comments and meta.shop to
    write into it (serving_docs), none without."""
    serving_dir = serving_db.parent
    staging_dir = serving_dir / ".staging"
    parquet_dir = serving_dir / "parquet"
    # a marker (or, from older versions, a staging folder) left behind means a publish was killed, maybe between
    # the database and the Parquet swaps: this one writes every Parquet file again. The marker goes only after the
    # Parquet swap, so a publish killed while recovering leaves it for the next one.
    marker = serving_dir / ".publish-incomplete"
    interrupted = marker.exists() or staging_dir.exists()
    serving_dir.mkdir(parents=True, exist_ok=True)
    marker.touch()
    _fsync(serving_dir)
    shutil.rmtree(staging_dir, ignore_errors=True)  # leftovers of a killed publish: never half-used
    (staging_dir / "parquet").mkdir(parents=True)
    new_db = staging_dir / serving_db.name
    started = time.perf_counter()

    con, from_copy = _open_new_file(serving_db, new_db, config or {})
    copied_s = time.perf_counter() - started
    args = (build_db, staging_dir, parquet_dir, publish_id, as_of, source, serving_db, docs)
    try:
        row_counts, changes, timings, synced, masked = _write(con, *args, all_parquet=interrupted or not from_copy)
    except duckdb.Error:
        if not from_copy:
            raise
        con.close()  # a copy with a damaged block fails here, not when opened: write everything from the build
        shutil.rmtree(staging_dir)
        (staging_dir / "parquet").mkdir(parents=True)
        con = _connect(new_db, config or {})
        row_counts, changes, timings, synced, masked = _write(con, *args, all_parquet=True)
    finally:
        con.close()
    timings = {"copy_previous_s": copied_s if from_copy else 0.0, **timings}

    for file in [new_db, *(staging_dir / "parquet").rglob("*.parquet")]:
        _fsync(file)
    pause_point("publish")  # crash tests: the staging copy is complete, the serving file not yet replaced
    Path(f"{serving_db}.wal").unlink(missing_ok=True)  # a stale WAL would not match the new file (never copied)
    os.replace(new_db, serving_db)  # the one atomic step readers can observe
    _fsync(serving_dir)
    _swap_parquet(staging_dir / "parquet", parquet_dir, synced)
    shutil.rmtree(staging_dir, ignore_errors=True)
    marker.unlink()
    timings["total_s"] = time.perf_counter() - started
    timings = {k: round(v, 2) for k, v in timings.items()}
    return PublishResult(publish_id, serving_db, row_counts, changes, timings, masked)
