"""The landing-folder source (SOURCE=files): CSV / Parquet exports dropped in LANDING_DIR/<raw table>/.

Plain Python over DuckDB, no Dagster, so it can be tested and benchmarked alone. Why it looks the way it does:

- A file's partition day comes from its name (the first YYYY-MM-DD in it) or, for undated names, from the raw
  table's `date_column`. A run for partition days [a, b] reads every current file with rows in those days, so the
  loader's "replace the partition days" rule makes an identical re-drop a no-op and makes a corrected file
  (same name, new content) replace that file's earlier rows.
- Each file is identified by the SHA-256 of its content. `meta.file_loads` keeps one row per (file, checksum):
  rows in, rows handed to the loader, rows set aside here, load time. A second file with the same content as
  another is recorded as a duplicate and not loaded twice. `meta.file_load_summary` adds rows loaded /
  quarantined, counted from the raw tables, so `rows_in = rows_loaded + rows_quarantined` can be checked.
- CSV is read by DuckDB's own reader (all_varchar, store_rejects): rows it cannot parse land in
  `quarantine.file_rows` with DuckDB's reason, as do rows this module cannot place in a partition day.
  Everything else goes to the loader (warehouse/raw.py) as strings: it try-casts and quarantines by rule.
- Encodings: UTF-8, UTF-8 with BOM, GBK — detected, or declared per folder in `_format.json`
  (`{"encoding": "gbk", "delimiter": ";"}`). GBK is transcoded to UTF-8 first (DuckDB reads UTF-8 only).
- Folders that are not raw tables are adapters (`online_retail/`: sources/online_retail.py).

File-level problems raise LandingError: one line naming the file and what to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.settings import PARTITIONS_START, Settings, SettingsError
from dagster_project.sources.contract import RAW_TABLES, RawTable

FORMAT_FILE = "_format.json"
EXTENSIONS = (".csv", ".parquet")
ADAPTERS = ("online_retail",)
ENCODINGS = ("utf-8", "utf-8-sig", "gbk")
DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
BOM = b"\xef\xbb\xbf"


class LandingError(SettingsError):
    """A landing file we cannot use; the message names the file and what to do."""


@dataclass(frozen=True)
class LandingFile:
    path: Path
    folder: str
    checksum: str
    name_day: dt.date | None

    @property
    def ref(self) -> str:
        """How rows and the load history name the file: `<folder>/<file name>`."""
        return f"{self.folder}/{self.path.name}"


@dataclass
class FileRead:
    """One file as read: its rows (all strings + `_line`), rejected rows, header, and what the reader saw."""

    file: LandingFile
    rows: pa.Table
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, content)
    columns: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    empty: bool = False
    duplicate_rows: int = 0  # rows repeating an earlier row of the file exactly (set by fetch)

    @property
    def rows_in(self) -> int:
        return self.rows.num_rows + len(self.rejects)


@dataclass
class Batch:
    """What a fetch hands on: rows per raw table, rows set aside here (with rule), and per-file counts."""

    tables: dict[str, list[pa.Table]] = field(default_factory=dict)
    set_aside: list[dict] = field(default_factory=list)
    to_loader: dict[str, int] = field(default_factory=dict)  # file ref -> rows handed to the loader
    file_days: dict[str, set[dt.date]] = field(default_factory=dict)  # undated file ref -> first and last day

    def add(self, table: str, data: pa.Table) -> None:
        self.tables.setdefault(table, []).append(data)


# --------------------------------------------------------------------------------------------- finding files


def _day_from_name(path: Path) -> dt.date | None:
    match = DAY_IN_NAME.search(path.name)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        raise LandingError(
            f"{path}: {match.group(1)!r} in the file name is not a date: name it with YYYY-MM-DD"
        ) from None


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scan(landing_dir: Path, folders: Iterable[str] | None = None) -> list[LandingFile]:
    """Every data file under LANDING_DIR (or under the given folders of it), sorted by folder and name;
    unusable names fail with one line."""
    if not landing_dir.is_dir():
        raise LandingError(
            f"LANDING_DIR={landing_dir} is not a folder: create it with one sub-folder per raw table "
            f"({', '.join(RAW_TABLES)}) or online_retail/"
        )
    found = []
    for entry in sorted(landing_dir.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file():
            raise LandingError(f"{entry}: files go in a sub-folder named after their raw table, e.g. orders/")
        if entry.name not in RAW_TABLES and entry.name not in ADAPTERS:
            raise LandingError(
                f"{entry}: folder names no raw table: rename it to one of {', '.join(RAW_TABLES)} or online_retail"
            )
        if folders is not None and entry.name not in folders:
            continue
        for path in sorted(entry.iterdir()):
            if path.name.startswith((".", "_")) or path.is_dir():
                continue
            if path.suffix.lower() not in EXTENSIONS:
                raise LandingError(
                    f"{path}: unknown format {path.suffix or '(no extension)'!r}: export it as .csv or .parquet"
                )
            found.append(LandingFile(path, entry.name, checksum(path), _day_from_name(path)))
    return found


def split_duplicates(files: list[LandingFile]) -> tuple[list[LandingFile], dict[str, str]]:
    """Files with content seen before in the same folder are duplicates: (files to read, {dup ref: first ref})."""
    first: dict[tuple[str, str], str] = {}
    kept, duplicates = [], {}
    for f in files:
        key = (f.folder, f.checksum)
        if key in first:
            duplicates[f.ref] = first[key]
        else:
            first[key] = f.ref
            kept.append(f)
    return kept, duplicates


def folder_format(folder: Path) -> dict:
    """The folder's declared format (`_format.json`), validated."""
    path = folder / FORMAT_FILE
    if not path.exists():
        return {}
    try:
        declared = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise LandingError(f'{path}: not valid JSON ({error}): write e.g. {{"encoding": "gbk"}}') from None
    unknown = set(declared) - {"encoding", "delimiter"}
    if unknown or not isinstance(declared, dict):
        raise LandingError(f"{path}: unknown key(s) {sorted(unknown)}: use encoding and delimiter")
    encoding = str(declared.get("encoding", "utf-8")).lower().replace("_", "-")
    if encoding in ("utf8", "utf-8-bom"):
        encoding = "utf-8-sig" if encoding == "utf-8-bom" else "utf-8"
    if encoding not in ENCODINGS:
        raise LandingError(f"{path}: encoding {encoding!r} is not supported: use one of {', '.join(ENCODINGS)}")
    return {**declared, "encoding": encoding}


# ------------------------------------------------------------------------------------------------- reading


def _decode(f: LandingFile, data: bytes, declared: str | None) -> tuple[str, str]:
    """(text, encoding): the declared encoding, else UTF-8 (with or without BOM), else GBK."""
    candidates = [declared] if declared else (["utf-8-sig"] if data.startswith(BOM) else ["utf-8", "gbk"])
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise LandingError(
        f"{f.path}: cannot be read as {' or '.join(candidates)}: re-export it as UTF-8, or declare its "
        f"encoding in {f.folder}/{FORMAT_FILE}"
    )


def read_file(con: duckdb.DuckDBPyConnection, f: LandingFile) -> FileRead:
    """Read one file with DuckDB into strings; CSV lines DuckDB rejects come back with its reason."""
    if f.path.suffix.lower() == ".parquet":
        try:
            rel = con.sql(f"select columns(*)::varchar from read_parquet('{_quote(f.path)}')")
            table = rel.to_arrow_table()
        except duckdb.Error as error:
            raise LandingError(f"{f.path}: not a readable Parquet file ({_first_line(error)}): re-export it") from None
        lines = pa.array(range(1, table.num_rows + 1), pa.int64())
        return FileRead(f, table.append_column("_line", lines), columns=list(table.column_names))
    data = f.path.read_bytes()
    fmt = folder_format(f.path.parent)
    text, encoding = _decode(f, data, fmt.get("encoding"))
    if not text.strip():
        return FileRead(f, pa.table({"_line": pa.array([], pa.int64())}), encoding=encoding, empty=True)
    delimiter = fmt.get("delimiter", ",")
    header = [c.strip() for c in text.lstrip("\ufeff").splitlines()[0].split(delimiter)]
    path, temp = f.path, None
    if encoding == "gbk":  # DuckDB reads UTF-8 only: transcode first
        temp = tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", delete=False)
        temp.write(text)
        temp.close()
        path = Path(temp.name)
    try:
        con.execute("drop table if exists reject_errors")
        con.execute("drop table if exists reject_scans")
        table = con.sql(
            f"""
            select * from read_csv(
                '{_quote(path)}', all_varchar = true, header = true, delim = '{_quote(delimiter)}',
                quote = '"', escape = '"', store_rejects = true, auto_detect = true,
                names = [{", ".join("'" + _quote(c) + "'" for c in header)}]
            )
            """
        ).to_arrow_table()
        rejects = con.execute(
            "select line, error_type || ': ' || error_message, csv_line from reject_errors order by line"
        ).fetchall()
    except duckdb.Error as error:
        raise LandingError(f"{f.path}: DuckDB cannot read it as CSV ({_first_line(error)}): check the export") from None
    finally:
        if temp is not None:
            Path(temp.name).unlink(missing_ok=True)
    rejects = _unique_lines(rejects)
    return FileRead(
        f,
        table.append_column("_line", pa.array(_line_numbers(table.num_rows, rejects), pa.int64())),
        rejects=rejects,
        columns=header,
        encoding=encoding,
    )


def _unique_lines(rejects: list[tuple]) -> list[tuple[int, str, str]]:
    """One reject per line (DuckDB may report several errors of one line)."""
    seen: dict[int, tuple[int, str, str]] = {}
    for line, reason, content in rejects:
        seen.setdefault(int(line), (int(line), str(reason), str(content)))
    return list(seen.values())


def _line_numbers(count: int, rejects: list[tuple[int, str, str]]) -> list[int]:
    """Physical line of each accepted row: rows come in file order, after the header, skipping rejected lines."""
    skipped = {line for line, _, _ in rejects}
    lines, line = [], 2
    while len(lines) < count:
        if line not in skipped:
            lines.append(line)
        line += 1
    return lines


def _quote(value: object) -> str:
    return str(value).replace("'", "''")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


# ------------------------------------------------------------------------------------- raw-table folders


def _day_sql(column: str) -> str:
    """SQL for the partition day of a date or timestamp column, NULL when it holds none (text or typed)."""
    quoted = column.replace('"', '""')
    return f'try_cast(try_cast(cast("{quoted}" as varchar) as timestamp) as date)'


def map_raw_table(con: duckdb.DuckDBPyConnection, read: FileRead, table: RawTable, batch: Batch) -> None:
    """A file in LANDING_DIR/<raw table>/: contract columns as strings, `_partition_date`, `_source`."""
    f = read.file
    for line, reason, content in read.rejects:
        batch.set_aside.append(_aside(f, line, "unparseable", reason, content, f.name_day))
    if read.empty:
        return
    present = {c.lower(): c for c in read.rows.column_names if c != "_line"}
    missing = [c.name for c in table.columns if not c.nullable and c.name not in present]
    if missing:
        raise LandingError(
            f"{f.path}: missing column(s) {', '.join(missing)} of raw.{table.name}: add them to the header "
            "(see docs/raw-contract.md)"
        )
    if f.name_day is None and table.date_column is None:
        raise LandingError(f"{f.path}: {table.name} files need their day in the name, e.g. {table.name}-2026-06-30.csv")
    con.register("landing_rows", read.rows)
    columns = ",\n".join(
        f'"{present[c.name]}" as {c.name}' if c.name in present else f"cast(null as varchar) as {c.name}"
        for c in table.columns
    )
    today = dt.date.today()
    source = f"'{_quote(f.ref)}:' || _line as _source"
    if f.name_day is not None:  # one day for the whole file: one query (order_items at TPC-H SF1: 2,400 files)
        if f.name_day > today:
            for line in read.rows.column("_line").to_pylist():
                batch.set_aside.append(_aside(f, line, "future date", f"the file name says {f.name_day}", None, None))
            con.unregister("landing_rows")
            return
        rows = con.sql(
            f"select {columns}, cast(date '{f.name_day}' as date) as _partition_date, {source} from landing_rows"
        ).to_arrow_table()
        con.unregister("landing_rows")
        batch.add(table.name, rows)
        batch.to_loader[f.ref] = batch.to_loader.get(f.ref, 0) + rows.num_rows
        return
    # Dated by a column: placed in a partition day, or set aside here with the reason. Decided in DuckDB; only
    # the rows set aside come back to Python (a per-row Python pass cost ~30 s on 24 M TPC-H rows).
    day = _day_sql(present[table.date_column])
    con.execute(
        f"create or replace temp table mapped_rows as select {columns}, {day} as _partition_date, _line "
        "from landing_rows"
    )
    con.unregister("landing_rows")
    for line, d in con.execute(
        "select _line, _partition_date from mapped_rows where _partition_date is null or _partition_date > ? "
        "order by _line",
        [today],
    ).fetchall():
        rule = "unparseable date" if d is None else "future date"
        detail = f"{table.date_column} gives no day" if d is None else f"{table.date_column} is {d}"
        batch.set_aside.append(_aside(f, line, rule, detail, None, None))
    rows = con.sql(
        f"select * exclude (_line), {source} from mapped_rows where _partition_date <= $today",
        params={"today": today},
    ).to_arrow_table()
    low, high = con.execute(
        "select min(_partition_date), max(_partition_date) from mapped_rows where _partition_date <= ?", [today]
    ).fetchall()[0]
    con.execute("drop table mapped_rows")
    if low is not None:
        batch.file_days[f.ref] = {low, high}
    batch.add(table.name, rows)
    batch.to_loader[f.ref] = batch.to_loader.get(f.ref, 0) + rows.num_rows


def _aside(f: LandingFile, line: int, rule: str, detail: str, content: str | None, day: dt.date | None) -> dict:
    return {
        "file_ref": f.ref,
        "line": line,
        "rule": rule,
        "detail": detail,
        "content": content,
        "_partition_date": day,
    }


# ------------------------------------------------------------------------------------------ bookkeeping


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists meta")
    con.execute("create schema if not exists quarantine")
    con.execute(
        """
        create table if not exists meta.file_loads (
            load_id varchar,
            file_ref varchar,
            folder varchar,
            checksum varchar,
            status varchar,
            duplicate_of varchar,
            encoding varchar,
            first_day date,
            last_day date,
            rows_in bigint,
            rows_to_loader bigint,
            rows_set_aside bigint,
            duplicate_rows bigint,
            loaded_at timestamp
        )
        """
    )
    con.execute(
        """
        create table if not exists quarantine.file_rows (
            file_ref varchar,
            line bigint,
            rule varchar,
            detail varchar,
            content varchar,
            _partition_date date,
            _load_id varchar,
            _loaded_at timestamp
        )
        """
    )
    raw_counts = " union all ".join(
        f"select '{name}' as table_name, regexp_extract(_source, '^(.*):[0-9]+$', 1) as file_ref, count(*) as n "
        f"from raw.{name} group by all"
        for name in RAW_TABLES
    )
    has_raw = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'order_items'"
    ).fetchall()[0][0]
    if has_raw:
        con.execute(
            f"""
            create or replace view meta.file_load_summary as
            with latest as (
                select * from meta.file_loads
                qualify row_number() over (partition by file_ref order by loaded_at desc) = 1
            ),
            raw_rows as ({raw_counts}),
            loaded as (
                select latest.file_ref, sum(raw_rows.n) as rows_loaded
                from latest
                join raw_rows
                    on raw_rows.file_ref = latest.file_ref
                    and raw_rows.table_name = case when latest.folder = 'online_retail' then 'order_items'
                        else latest.folder end
                group by all
            )
            select
                latest.*,
                case when latest.status = 'duplicate' then 0 else coalesce(loaded.rows_loaded, 0) end
                    as rows_loaded,
                latest.rows_in - case when latest.status = 'duplicate' then latest.rows_in
                    else coalesce(loaded.rows_loaded, 0) end as rows_not_loaded,
                latest.rows_to_loader - coalesce(loaded.rows_loaded, 0) as rows_quarantined_by_loader
            from latest
            left join loaded on latest.file_ref = loaded.file_ref
            """
        )


def _known(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, dt.date | None, dt.date | None]]:
    """Latest recorded version of each file: {ref: (checksum, first_day, last_day)}."""
    rows = con.execute(
        """
        select file_ref, checksum, first_day, last_day from meta.file_loads
        qualify row_number() over (partition by file_ref order by loaded_at desc) = 1
        """
    ).fetchall()
    return {ref: (digest, first, last) for ref, digest, first, last in rows}


# ------------------------------------------------------------------------------------------------- fetch


def _empty(table: RawTable) -> pa.Table:
    schema = [pa.field(c.name, pa.string()) for c in table.columns]
    schema += [pa.field("_partition_date", pa.date32()), pa.field("_source", pa.string())]
    return pa.schema(schema).empty_table()


def _produces(folder: str) -> tuple[str, ...]:
    if folder == "online_retail":
        from dagster_project.sources import online_retail

        return online_retail.TABLES
    return (folder,)


def fetch_groups(settings: Settings, tables: Iterable[str]) -> list[list[str]]:
    """One group per raw table, in load order, except that the tables an adapter folder present in
    LANDING_DIR makes (online_retail/: customers, products, orders, order_items) are one group: fetching them
    one at a time would read and map the export once per table."""
    from dagster_project.sources import online_retail
    from dagster_project.warehouse.raw import load_order

    ordered = load_order(tables)
    together = set()
    if (settings.landing_dir / "online_retail").is_dir():
        together = set(online_retail.TABLES) & set(ordered)
    groups: list[list[str]] = []
    for name in ordered:
        if name in together:
            if not any(g and g[0] in together for g in groups):
                groups.append([t for t in ordered if t in together])
        else:
            groups.append([name])
    return groups


def fetch(
    settings: Settings,
    first_day: dt.date,
    last_day: dt.date,
    tables: Iterable[str],
    progress: Callable[[str], None] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, pa.Table]:
    """Rows of the partition days [first_day, last_day] for each requested raw table, from the landing files.

    Writes the file bookkeeping (meta.file_loads, quarantine.file_rows) into the build database.
    """
    from dagster_project.sources import online_retail

    tables = list(tables)
    folders = [f for f in (*RAW_TABLES, *ADAPTERS) if set(_produces(f)) & set(tables)]
    files, duplicates = split_duplicates(scan(settings.landing_dir, folders))
    own = con is None
    con = con or duckdb.connect(str(settings.build_db))
    try:
        ensure_meta(con)
        known = _known(con)
        batch = Batch()
        reads: list[FileRead] = []
        today = dt.date.today()
        work = duckdb.connect()  # scratch connection: rejects tables and temp views stay out of the warehouse
        for f in files:
            if f.name_day is not None and f.name_day <= today and not first_day <= f.name_day <= last_day:
                continue  # (a file named after today is read by every run: its rows are set aside, see map_raw_table)
            seen = known.get(f.ref)
            if f.name_day is None and seen and seen[0] == f.checksum and seen[1] is not None:
                if seen[2] < first_day or seen[1] > last_day:
                    continue  # unchanged undated file with no rows in these days
            read = read_file(work, f)
            read.duplicate_rows = _duplicate_rows(work, read)
            reads.append(read)
        retail = [r for r in reads if r.file.folder == "online_retail"]
        if retail:
            online_retail.map_files(work, con, retail, first_day, batch)
        for read in reads:
            if read.file.folder != "online_retail":
                map_raw_table(work, read, RAW_TABLES[read.file.folder], batch)
        work.close()
        _record(con, settings, reads, duplicates, known, batch, first_day, last_day)
        if progress:
            progress(f"files: read {len(reads)} file(s) for {first_day}..{last_day}, {len(duplicates)} duplicate(s)")
    finally:
        if own:
            con.close()
    result = {}
    for name in tables:
        parts = [_empty(RAW_TABLES[name])] + [
            p.select(_empty(RAW_TABLES[name]).column_names).cast(_empty(RAW_TABLES[name]).schema)
            for p in batch.tables.get(name, [])
        ]
        data = pa.concat_tables(parts)
        days = data.column("_partition_date")
        keep = pa.compute.and_(
            pa.compute.greater_equal(days, pa.scalar(first_day)), pa.compute.less_equal(days, pa.scalar(last_day))
        )
        result[name] = data.filter(keep)
    return result


def _record(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    reads: list[FileRead],
    duplicates: dict[str, str],
    known: dict,
    batch: Batch,
    first_day: dt.date,
    last_day: dt.date,
) -> None:
    """Write meta.file_loads (new file versions only: a re-read of a known version is not a new load) and
    replace quarantine.file_rows of the files read."""
    from dagster_project.warehouse.raw import new_load_id

    load_id = new_load_id()
    aside_by_file: dict[str, int] = {}
    for row in batch.set_aside:
        aside_by_file[row["file_ref"]] = aside_by_file.get(row["file_ref"], 0) + 1
    refs = [r.file.ref for r in reads]
    con.execute("begin transaction")
    try:
        if refs:
            con.execute(
                "delete from quarantine.file_rows where file_ref in (select unnest(?)) "
                "and (_partition_date is null or _partition_date between ? and ?)",
                [refs, first_day, last_day],
            )
        if batch.set_aside:
            aside = pa.Table.from_pylist(
                batch.set_aside,
                schema=pa.schema(
                    [
                        ("file_ref", pa.string()),
                        ("line", pa.int64()),
                        ("rule", pa.string()),
                        ("detail", pa.string()),
                        ("content", pa.string()),
                        ("_partition_date", pa.date32()),
                    ]
                ),
            )
            con.register("set_aside", aside)
            con.execute("insert into quarantine.file_rows select *, ?, current_timestamp from set_aside", [load_id])
            con.unregister("set_aside")
        for read in reads:
            f = read.file
            seen = known.get(f.ref)
            if seen and seen[0] == f.checksum:
                continue  # identical re-drop / re-read: already recorded
            status = "empty" if read.empty else ("replaced" if seen else "loaded")
            days = [d for d in _days_of(read, batch) if d is not None]
            con.execute(
                "insert into meta.file_loads values (?, ?, ?, ?, ?, null, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
                [
                    load_id,
                    f.ref,
                    f.folder,
                    f.checksum,
                    status,
                    read.encoding,
                    min(days, default=f.name_day),
                    max(days, default=f.name_day),
                    read.rows_in,
                    batch.to_loader.get(f.ref, 0),
                    aside_by_file.get(f.ref, 0),
                    read.duplicate_rows,
                ],
            )
        for ref, original in duplicates.items():
            if ref in known:
                continue
            path = settings.landing_dir / ref
            con.execute(
                "insert into meta.file_loads values (?, ?, ?, ?, 'duplicate', ?, null, null, null, ?, 0, 0, 0, "
                "current_timestamp)",
                [load_id, ref, ref.split("/")[0], checksum(path), original, _count_lines(path)],
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _days_of(read: FileRead, batch: Batch) -> set[dt.date | None]:
    if read.file.name_day is not None:
        return {read.file.name_day}
    return batch.file_days.get(read.file.ref, set())


def _duplicate_rows(con: duckdb.DuckDBPyConnection, read: FileRead) -> int:
    """Rows that repeat an earlier row of the same file exactly (kept, but counted)."""
    if read.rows.num_rows == 0:
        return 0
    con.register("file_rows", read.rows)
    try:
        return con.execute(
            "select coalesce(sum(n - 1), 0) from (select * exclude (_line), count(*) as n from file_rows group by all)"
        ).fetchall()[0][0]
    finally:
        con.unregister("file_rows")


def _count_lines(path: Path) -> int:
    data = path.read_bytes()
    if path.suffix.lower() == ".parquet":
        return duckdb.sql(f"select count(*) from read_parquet('{_quote(path)}')").fetchall()[0][0]
    return max(0, len([line for line in data.splitlines() if line.strip()]) - 1)


# ------------------------------------------------------------------------------------------- date ranges


def file_days(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> list[dt.date]:
    """Partition days the files cover: from the name, or the min/max of the table's date column."""
    days: list[dt.date] = []
    today = dt.date.today()
    for f in files:
        if f.name_day is not None:
            if f.name_day < PARTITIONS_START:
                raise LandingError(
                    f"{f.path}: the day in its name, {f.name_day}, is before {PARTITIONS_START}, the first daily "
                    "partition the warehouse keeps"
                )
            if f.name_day <= today:  # a file named after today does not stretch the build: its rows are set aside
                days.append(f.name_day)
            continue
        table = RAW_TABLES.get(f.folder)
        if table is None or table.date_column is None:
            raise LandingError(f"{f.path}: {f.folder} files need their day in the name, e.g. 2026-06-30")
        span = _day_span(con, f, table.date_column, today)
        if span is None:
            continue
        low, high = span
        days += [d for d in (low, high) if d is not None]
        if low is not None and low < PARTITIONS_START:
            raise LandingError(
                f"{f.path}: column {table.date_column} has rows dated {low}, before {PARTITIONS_START}, the first "
                "daily partition the warehouse keeps: drop or fix those rows"
            )
    return days


def _day_span(
    con: duckdb.DuckDBPyConnection, f: LandingFile, column: str, today: dt.date
) -> tuple[dt.date | None, dt.date | None] | None:
    """(first, last) day of `column` in an undated file (days after today ignored); None if it lacks the column.
    Parquet is aggregated by DuckDB straight from the file (reading TPC-H SF1's four 6 M-row files into Arrow
    first cost 9 s before every build); CSV goes through read_file for its encodings and rejects."""
    day = _day_sql(column)
    if f.path.suffix.lower() == ".parquet":
        source = f"read_parquet('{_quote(f.path)}')"
        try:
            names = [d[0] for d in con.execute(f"select * from {source} limit 0").description]
            if column not in names:
                return None
            return tuple(
                con.execute(
                    f"select min(d), max(d) from (select {day} as d from {source}) where d <= ?", [today]
                ).fetchall()[0]
            )
        except duckdb.Error as error:
            raise LandingError(f"{f.path}: not a readable Parquet file ({_first_line(error)}): re-export it") from None
    read = read_file(con, f)
    if read.empty or column not in read.rows.column_names:
        return None
    con.register("landing_rows", read.rows)
    try:
        return tuple(
            con.execute(
                f"select min(d), max(d) from (select {day} as d from landing_rows) where d <= ?", [today]
            ).fetchall()[0]
        )
    finally:
        con.unregister("landing_rows")


def date_range(settings: Settings) -> tuple[dt.date, dt.date]:
    """The partition days a full build over the landing folder loads: first to last day any file covers."""
    files, _ = split_duplicates(scan(settings.landing_dir))
    with duckdb.connect() as con:
        days = file_days(con, files)
    if not days:
        raise LandingError(
            f"LANDING_DIR={settings.landing_dir} holds no data files: drop CSV or Parquet exports into "
            "its <raw table>/ or online_retail/ sub-folders"
        )
    return min(days), max(days)
