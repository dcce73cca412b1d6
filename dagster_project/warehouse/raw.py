"""Loading a source's rows into the `raw` schema of the build database, idempotently, with quarantine and a load
history.

Plain Python over DuckDB (no Dagster) so it can be tested and benchmarked alone. A load replaces the rows of the
partition days it covers — in raw.<table> AND in quarantine.<table> — so pulling a day twice leaves one copy.
Every incoming row ends in exactly one of the two: rows that break a row-level rule (warehouse/rules.py) go to
quarantine.<table> as the text they arrived as, with the rule, their source (partition or file:line) and the load
id. `meta.load_history` records rows in / loaded / quarantined per load, and rows_in = loaded + quarantined always.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

import duckdb
import pyarrow as pa

from dagster_project.quality.faults import pause_point
from dagster_project.sources.contract import RAW_TABLES, TABLE_NAMES, RawTable
from dagster_project.warehouse import rules
from dagster_project.warehouse.rules import REFERENCES
from dagster_project.warehouse.rules import quote_identifier as _q

META_COLUMNS = (
    ("_partition_date", "DATE"),
    ("_load_id", "VARCHAR"),
    ("_source", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
)
QUARANTINE_META_COLUMNS = (
    ("_rule", "VARCHAR"),
    ("_source", "VARCHAR"),
    ("_partition_date", "DATE"),
    ("_load_id", "VARCHAR"),
    ("_quarantined_at", "TIMESTAMP"),
)
DIMENSIONS = ("customers", "products", "factories", "suppliers")
LOAD_ORDER: tuple[str, ...] = (
    *DIMENSIONS,
    "orders",
    *(name for name in TABLE_NAMES if name not in DIMENSIONS and name != "orders"),
)
"""Dimensions, then orders, then everything else: reference rules look up rows already in raw."""


@dataclass(frozen=True)
class Staged:
    """Rows already in a temp table of the build connection, for `load_table` (the landing-file source reads
    files straight into DuckDB rather than through Python memory). The table holds the contract columns,
    `_partition_date`, `_source` and `_row`: a unique number that orders the rows as they arrived."""

    name: str
    num_rows: int
    column_names: tuple[str, ...]
    # rows of this table's files the source set aside before the loader (quarantine.file_rows: unparseable lines,
    # no usable day): not in num_rows, but counted with the quarantined rows by the tolerance gate and the summary
    set_aside: int = 0


Rows: TypeAlias = "pa.Table | Staged"
"""What a source hands the loader: an Arrow table (the simulator) or rows staged in DuckDB (landing files)."""


class RowAccountingError(RuntimeError):
    """rows_in != rows_loaded + rows_quarantined: a bug in the loader, never a data problem."""


@dataclass(frozen=True)
class LoadStats:
    table: str
    load_id: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int


def new_load_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def load_order(tables: Iterable[str]) -> list[str]:
    """`tables` in the order they must be loaded (dimensions before the facts that reference them)."""
    wanted = set(tables)
    return [name for name in LOAD_ORDER if name in wanted]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw, quarantine and meta tables from the contract, if missing."""
    for schema in ("raw", "quarantine", "meta"):
        con.execute(f"create schema if not exists {schema}")
    for table in RAW_TABLES.values():
        columns = [f"{_q(c.name)} {c.type}" for c in table.columns] + [f"{n} {t}" for n, t in META_COLUMNS]
        con.execute(f"create table if not exists raw.{table.name} ({', '.join(columns)})")
        columns = [f"{_q(c.name)} VARCHAR" for c in table.columns] + [f"{n} {t}" for n, t in QUARANTINE_META_COLUMNS]
        con.execute(f"create table if not exists quarantine.{table.name} ({', '.join(columns)})")
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
    # rows a later load released from an earlier load's quarantine: their parent (order, customer, sku) arrived late
    con.execute(
        """
        create table if not exists meta.released (
            load_id varchar,
            table_name varchar,
            from_load_id varchar,
            rule varchar,
            rows_released bigint,
            released_at timestamp
        )
        """
    )
    con.execute(
        """
        create table if not exists meta.key_conflicts (
            load_id varchar,
            table_name varchar,
            key varchar,
            kept_source varchar,
            other_sources varchar[],
            copies bigint,
            first_day date,
            recorded_at timestamp
        )
        """
    )
    # rows the source set aside before the loader (Staged.set_aside); added after the table first shipped
    con.execute("alter table meta.load_history add column if not exists rows_set_aside bigint default 0")


def _checked_rows_sql(table: RawTable, has_source: bool, shop_tz: str = "UTC") -> str:
    """One row per incoming row: its typed values and the first rule it breaks.

    One relation carries every row's landed text, typed values and flags, so the rules are a projection over one
    scan, not joins back on the row number (which, with a window over every column for repeats, spilled at
    TPC-H SF10's 60 M-row tables). Repeats (rows equal in every landed column) are found by a hash aggregate.
    A row equal to one already in raw is looked for in two steps: rows whose key is in raw (a scan of raw's key
    columns only), then those few compared in every column. The one-step join read every column of raw: the daily
    load's checks on TPC-H SF1 took 0.17-0.26 s a table, 0.08-0.12 s in two steps."""
    columns = table.column_names
    landed = ",\n".join(f"cast(incoming.{_q(c)} as varchar) as {rules.landed(c)}" for c in columns)
    zone = "'" + shop_tz.replace("'", "''") + "'"  # SHOP_TZ, validated by settings
    typed = ",\n".join(
        f"{rules.typed_sql(c.type, rules.landed(c.name), zone)} as {rules.typed(c.name)}" for c in table.columns
    )
    default_source = "$source || ':' || coalesce(cast(incoming._partition_date as varchar), '?')"
    row_source = f"coalesce(cast(incoming._source as varchar), {default_source})" if has_source else default_source
    all_landed = ", ".join(rules.landed(c) for c in columns)
    same_landed = " and ".join(
        f"rows_.{rules.landed(c)} is not distinct from repeats.{rules.landed(c)}" for c in columns
    )
    key_columns = ", ".join(_q(k) for k in table.key)
    key_join = " and ".join(f"existing.{_q(k)} = rows_.{rules.typed(k)}" for k in table.key)
    same_values = " and ".join(f"existing.{_q(c)} is not distinct from rows_.{rules.typed(c)}" for c in columns)
    ref_flags = "".join(
        f",\n{rules.typed(r.column)} in (select {_q(r.key)} from raw.{r.table}) as {rules.has_reference(r.column)}"
        for r in REFERENCES.get(table.name, ())
    )
    reason = "case\n" + "\n".join(f"when {r.condition} then '{r.name}'" for r in rules.rules_for(table)) + "\nend"
    return f"""
        with rows_ as (
            select
                *,
                {typed},
                try_cast({rules.landed("_partition_date")} as date) as {rules.typed("_partition_date")}
            from (
                select
                    incoming._row,
                    {landed},
                    cast(incoming._partition_date as varchar) as {rules.landed("_partition_date")},
                    {row_source} as _source
                from incoming
            )
        ),
        repeats as (
            select {all_landed}, min(_row) as first_row
            from rows_
            group by all
            having count(*) > 1
        ),
        key_in_raw as materialized (
            select rows_.*
            from rows_
            semi join (select {key_columns} from raw.{table.name}) as existing on {key_join}
        ),
        in_raw as (
            select rows_._row
            from key_in_raw as rows_
            semi join raw.{table.name} as existing on {key_join} and {same_values}
        ),
        flagged as (
            select
                rows_.*,
                coalesce(rows_._row > repeats.first_row, false) as {rules.IS_REPEAT},
                rows_._row in (select _row from in_raw) as {rules.IS_IN_RAW}{ref_flags}
            from rows_
            left join repeats on {same_landed}
        )
        select
            _row,
            {reason} as _rule,
            _source,
            {rules.typed("_partition_date")} as _partition_date,
            {", ".join(f"{rules.typed(c)} as {_q(c)}" for c in columns)}
        from flagged
    """


def _insert_checked(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    incoming: Rows,
    first_day: dt.date,
    last_day: dt.date,
    load_id: str,
    source: str,
    shop_tz: str = "UTC",
) -> tuple[int, int]:
    """Run the rules over `incoming` and insert each row into raw or quarantine; return (loaded, quarantined)."""
    has_source = "_source" in incoming.column_names
    columns = [*table.column_names, "_partition_date", *(["_source"] if has_source else [])]
    if isinstance(incoming, Staged):
        selected = ", ".join(_q(c) for c in [*columns, "_row"])
        con.execute(f"create or replace temp view incoming as select {selected} from {incoming.name}")
    else:
        rows = incoming.select(columns)
        con.register("incoming", rows.append_column("_row", pa.array(range(rows.num_rows), pa.int64())))
    try:
        con.execute(
            f"create or replace temp table checked_rows as {_checked_rows_sql(table, has_source, shop_tz)}",
            {"first_day": first_day, "last_day": last_day, "source": source},
        )
        typed = ", ".join(f"checked_rows.{_q(c)}" for c in table.column_names)
        con.execute(
            f"""
            insert into raw.{table.name}
            select {typed}, checked_rows._partition_date, $load_id, checked_rows._source, current_timestamp
            from checked_rows
            where checked_rows._rule is null
            order by checked_rows._row
            """,
            {"load_id": load_id},
        )
        quarantined = con.execute("select count(*) from checked_rows where _rule is not null").fetchall()[0][0]
        # The join back to the landed text scans all of `incoming` (4 s for 6 M rows): only when needed.
        if quarantined:
            landed = ", ".join(f"cast(incoming.{_q(c)} as varchar)" for c in table.column_names)
            con.execute(
                f"""
                insert into quarantine.{table.name}
                select {landed}, checked_rows._rule, checked_rows._source, checked_rows._partition_date, $load_id,
                    current_timestamp
                from checked_rows
                join incoming using (_row)
                where checked_rows._rule is not null
                order by checked_rows._row
                """,
                {"load_id": load_id},
            )
        con.execute("drop table checked_rows")
    finally:
        if isinstance(incoming, Staged):
            con.execute("drop view if exists incoming")
        else:
            con.unregister("incoming")
    return incoming.num_rows - quarantined, quarantined


def _recheck_dependents(
    con: duckdb.DuckDBPyConnection, loaded: str, load_id: str, source: str, shop_tz: str = "UTC"
) -> None:
    """Re-run the rules on rows quarantined for a reference to `loaded` whose parent may now be in raw: this load's
    rows (e.g. "unknown customer" when orders were loaded before customers), and rows of EARLIER loads whose parent
    arrived in this load (an order item exported a day before its order). Released rows move to raw under their own
    load and partition day (staging picks them up by _loaded_at), the rest stay; each earlier load's release is
    recorded in meta.released. Without the second part a late parent wedged every later run: the order arrived, its
    item stayed quarantined, and the order failed the items gate until someone re-ran the earlier day."""
    for name, references in REFERENCES.items():
        refs = [r for r in references if r.table == loaded]
        if not refs:
            continue
        rules_ = [r.rule for r in refs]
        arrived = " or ".join(
            f"(_rule = '{r.rule}' and {_q(r.column)} in "
            f"(select cast({_q(r.key)} as varchar) from raw.{loaded} where _load_id = $load_id))"
            for r in refs
        )
        waiting_loads = [
            row[0]
            for row in con.execute(
                f"""
                select distinct _load_id from quarantine.{name}
                where _rule in (select unnest($rules)) and (_load_id = $load_id or {arrived})
                order by 1
                """,
                {"load_id": load_id, "rules": rules_},
            ).fetchall()
        ]
        for from_load in waiting_loads:
            # this load's rows: any waiting for `loaded`; an earlier load's: only those whose parent came now
            where = (
                "_load_id = $from_load and _rule in (select unnest($rules))"
                if from_load == load_id
                else f"_load_id = $from_load and ({arrived})"
            )
            params = {"from_load": from_load, "rules": rules_, "load_id": load_id}
            params = {k: v for k, v in params.items() if f"${k}" in where}
            waiting = con.sql(
                f"select * exclude (_rule, _load_id, _quarantined_at) from quarantine.{name} where {where}",
                params=params,
            ).to_arrow_table()
            if waiting.num_rows == 0:
                continue
            days = con.execute(
                "select first_day, last_day from meta.load_history where load_id = $load_id and table_name = $name",
                {"load_id": from_load, "name": name},
            ).fetchone()
            if days is None:  # a load with no history row (should not happen): leave its rows where they are
                continue
            con.execute(f"delete from quarantine.{name} where {where}", params)
            first_day, last_day = days
            released, _ = _insert_checked(
                con, RAW_TABLES[name], waiting, first_day, last_day, from_load, source, shop_tz
            )
            con.execute(
                """
                update meta.load_history
                set rows_loaded = rows_loaded + $released, rows_quarantined = rows_quarantined - $released
                where load_id = $load_id and table_name = $name
                """,
                {"released": released, "load_id": from_load, "name": name},
            )
            if released and from_load != load_id:
                con.execute(
                    "insert into meta.released values (?, ?, ?, ?, ?, current_timestamp)",
                    [load_id, name, from_load, ", ".join(rules_), released],
                )
            if released:
                _recheck_dependents(con, name, from_load, source, shop_tz)


# The copy of a key staging keeps among copies of one load (dbt/macros/staging_latest_copy.sql, source_order):
# the later file, then the later line as a number. Keep the two in step.
KEPT_COPY_ORDER = (
    "regexp_replace(_source, ':[0-9]+$', '') desc, "
    "try_cast(regexp_extract(_source, ':([0-9]+)$', 1) as bigint) desc nulls last"
)


def _record_key_conflicts(
    con: duckdb.DuckDBPyConnection, table: RawTable, load_id: str, first_day: dt.date, last_day: dt.date
) -> int:
    """Keys this load put in raw more than once with different values (exact copies are quarantined): staging keeps
    one copy, and meta.key_conflicts says which (`kept_source`) over which (`other_sources`), so no copy is dropped
    silently. Replaces the conflicts recorded for these partition days; returns the number of keys."""
    keys = ", ".join(_q(k) for k in table.key)
    key_text = " || '|' || ".join(f"coalesce(cast({_q(k)} as varchar), '')" for k in table.key)
    con.execute(
        "delete from meta.key_conflicts where table_name = $name and first_day between $first_day and $last_day",
        {"name": table.name, "first_day": first_day, "last_day": last_day},
    )
    return con.execute(
        f"""
        insert into meta.key_conflicts
        select $load_id, $name, {key_text}, sources[1], sources[2:], len(sources), first_day, current_timestamp
        from (
            select {keys}, list(_source order by {KEPT_COPY_ORDER}) as sources, min(_partition_date) as first_day
            from raw.{table.name}
            where _load_id = $load_id
            group by {keys}
            having count(*) > 1
        )
        """,
        {"load_id": load_id, "name": table.name},
    ).fetchone()[0]


def _counts(con: duckdb.DuckDBPyConnection, name: str, load_id: str) -> tuple[int, int]:
    return con.execute(
        f"""
        select
            (select count(*) from raw.{name} where _load_id = $load_id),
            (select count(*) from quarantine.{name} where _load_id = $load_id)
        """,
        {"load_id": load_id},
    ).fetchone()


def load_table(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    data: Rows,
    first_day: dt.date,
    last_day: dt.date,
    load_id: str,
    source: str,
    shop_tz: str = "UTC",
) -> LoadStats:
    """Replace the partition days [first_day, last_day] of raw.<table> and quarantine.<table> with `data`.

    `data` holds the contract columns, typed or all text (a CSV read as varchar), plus `_partition_date` and
    optionally `_source` (e.g. "orders/2024-01-05.csv:17"); Staged rows are dropped once loaded. One
    transaction: a killed load leaves the previous rows.
    Text timestamps with a UTC offset are converted to `shop_tz` (SHOP_TZ).
    Raises ValueError (one line) when a contract column is missing; extra columns are ignored. Load the
    dimensions first (load_order); a dimension loaded later in the same load releases the rows that waited for it.
    """
    missing = [c for c in table.column_names + ["_partition_date"] if c not in data.column_names]
    if missing:
        raise ValueError(f"source {source!r} delivered raw.{table.name} without column(s) {', '.join(missing)}")
    try:
        con.execute("begin transaction")
        for schema in ("raw", "quarantine"):
            con.execute(
                f"delete from {schema}.{table.name} where _partition_date between $first_day and $last_day",
                {"first_day": first_day, "last_day": last_day},
            )
        _insert_checked(con, table, data, first_day, last_day, load_id, source, shop_tz)
        pause_point("load")
        rows_in = data.num_rows
        rows_loaded, rows_quarantined = _counts(con, table.name, load_id)
        if rows_in != rows_loaded + rows_quarantined:
            raise RowAccountingError(
                f"raw.{table.name} load {load_id}: {rows_in} rows in but {rows_loaded} loaded + "
                f"{rows_quarantined} quarantined"
            )
        _record_key_conflicts(con, table, load_id, first_day, last_day)
        set_aside = data.set_aside if isinstance(data, Staged) else 0
        con.execute(
            "insert into meta.load_history (load_id, table_name, first_day, last_day, source, rows_in, rows_loaded, "
            "rows_quarantined, loaded_at, rows_set_aside) values (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp, ?)",
            [load_id, table.name, first_day, last_day, source, rows_in, rows_loaded, rows_quarantined, set_aside],
        )
        _recheck_dependents(con, table.name, load_id, source, shop_tz)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    if isinstance(data, Staged):
        con.execute(f"drop table if exists {data.name}")
    return LoadStats(table.name, load_id, rows_in, rows_loaded, rows_quarantined)


def write_run_context(con: duckdb.DuckDBPyConnection, first_day: dt.date, last_day: dt.date, source: str) -> None:
    """Record for dbt (macros as_of_date, incremental_from_date) the build's as-of day and the first day this
    run loaded, in raw.run_context. The as-of day never moves back: re-running an earlier day for a late file
    reloads that day, and the marts stay as of the newest day loaded so far."""
    previous = None
    if con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'run_context'"
    ).fetchone()[0]:
        previous = con.execute("select max(as_of_date) from raw.run_context").fetchone()[0]
    as_of = max(last_day, previous) if previous else last_day
    con.execute(
        "create or replace table raw.run_context "
        "(as_of_date date, loaded_from_date date, source varchar, written_at timestamp)"
    )
    con.execute("insert into raw.run_context values (?, ?, ?, current_timestamp)", [as_of, first_day, source])


class SourceMismatch(ValueError):
    """A run's SOURCE is not the one the build database was built from (meta.build_source)."""


def recorded_source(con: duckdb.DuckDBPyConnection) -> str | None:
    """The SOURCE the build database was built from: meta.build_source, or for a database from before that table,
    the source raw.run_context names; None for a new database."""
    tables = {
        (schema, name) for schema, name in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    }
    if ("meta", "build_source") in tables:
        recorded = con.execute("select min(source) from meta.build_source").fetchone()[0]
        if recorded is not None:
            return recorded
    if ("raw", "run_context") in tables:
        return con.execute("select min(source) from raw.run_context").fetchone()[0]
    return None


def source_mismatch(build_db: object, recorded: str, source: str) -> str:
    """The one-line refusal of a run whose SOURCE is not the build database's."""
    return (
        f"the build database {build_db} was built from SOURCE={recorded}, this run has SOURCE={source}: rows of two "
        f"sources would mix. Run with SOURCE={recorded}, or start over: make clean (or a new DATA_DIR), then "
        f"make build SOURCE={source}"
    )


def record_build_source(con: duckdb.DuckDBPyConnection, source: str, build_db: object) -> None:
    """Remember the first load's SOURCE in meta.build_source and refuse a load from another one: simulator rows
    written into a warehouse built from files (or the reverse) fail the gates, and every later run with them."""
    recorded = recorded_source(con)
    if recorded is not None and recorded != source:
        raise SourceMismatch(source_mismatch(build_db, recorded, source))
    con.execute("create table if not exists meta.build_source (source varchar, recorded_at timestamp)")
    if con.execute("select count(*) from meta.build_source").fetchone()[0] == 0:
        con.execute("insert into meta.build_source values (?, current_timestamp)", [recorded or source])


def world_start(con: duckdb.DuckDBPyConnection, default: dt.date) -> dt.date:
    """The simulator world's first day: the one recorded by the first load, so daily runs extend the same world."""
    con.execute("create table if not exists meta.sim_world (start_date date)")
    row = con.execute("select min(start_date) from meta.sim_world").fetchone()
    if row[0] is not None:
        return row[0]
    con.execute("insert into meta.sim_world values (?)", [default])
    return default
