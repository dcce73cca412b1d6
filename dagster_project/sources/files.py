"""The landing-folder source (SOURCE=files): CSV / Parquet exports dropped in LANDING_DIR/<raw table>/.

Plain Python over DuckDB, no Dagster, so it can be tested and benchmarked alone. Why it looks the way it does:

- A file's partition day comes from its name (the first YYYY-MM-DD in it) or, for undated names, from the raw
  table's `date_column`. A run for partition days [a, b] reads every current file with rows in those days, so the
  loader's "replace the partition days" rule makes an identical re-drop a no-op and makes a corrected file
  (same name, new content) replace that file's earlier rows.
- Each file is identified by the SHA-256 of its content, worked out again only when the file's size or
  modification time changed (`meta.landing_checksums` keeps them between runs: each daily run over TPC-H SF10's
  landing folder, 2,412 files and 7.8 GB, used to hash all of it, 6-11 s). `meta.file_loads` keeps one row per
  (file, checksum):
  rows in, rows handed to the loader, rows set aside here, load time. A second file with the same content as
  another is recorded as a duplicate and not loaded twice. `meta.file_load_summary` adds rows loaded /
  quarantined, counted from the raw tables, so `rows_in = rows_loaded + rows_quarantined` can be checked.
- CSV is read by DuckDB's own reader (all_varchar, store_rejects): rows it cannot parse land in
  `quarantine.file_rows` with DuckDB's reason, as do rows this module cannot place in a partition day.
  Everything else goes to the loader (warehouse/raw.py) as strings: it try-casts and quarantines by rule.
- Rows are staged for the loader in temp tables of the build connection (`Landing`, one per raw table), so a run
  holds no table in Python memory: Parquet files go from disk to the temp table in SQL (day-named files of a folder
  in one query), CSV files pass through Arrow once (DuckDB's reject tables need the scratch connection).
- Encodings: UTF-8, UTF-8 with BOM, GBK — detected, or declared per folder in `_format.json`
  (`{"encoding": "gbk", "delimiter": ";"}`; also latin-1, cp1252, shift_jis). A file that is not UTF-8 and reads
  as GBK only into rare characters (Latin-1 or Shift-JIS bytes) is refused unless its encoding is declared.
  Non-UTF-8 files are transcoded to UTF-8 first (DuckDB reads UTF-8 only).
- Folders that are not raw tables are adapters (`online_retail/`: sources/online_retail.py; the shop-platform
  order exports `taobao/`, `shopify/`: sources/taobao.py, sources/shopify.py). A shop export covers a date range
  whatever its name says, and the same order is in several exports, so every file of those folders is read by
  every run (the newest copy of an order wins; exports are small).

File-level problems raise LandingError: one line naming the file and what to do.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.settings import PARTITIONS_START, Settings, SettingsError
from dagster_project.sources.contract import RAW_TABLES, RawTable
from dagster_project.warehouse.raw import Staged
from dagster_project.warehouse.rules import typed_sql

FORMAT_FILE = "_format.json"
EXTENSIONS = (".csv", ".parquet")
SHOP_EXPORTS = ("taobao", "shopify")  # adapters of date-range order exports (sources/shop_exports.py)
ADAPTERS = ("online_retail", *SHOP_EXPORTS)
# raw tables whose rows are the rows of an adapter's files (meta.file_load_summary counts them as loaded)
ADAPTER_ROW_TABLES = {
    "online_retail": ("order_items",),
    "taobao": ("orders", "order_items"),
    "shopify": ("order_items",),
}
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "latin-1", "cp1252", "shift_jis")  # declarable in _format.json
TRANSCODED = ("gbk", "latin-1", "cp1252", "shift_jis")  # DuckDB reads UTF-8 only: these are transcoded first
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
    stat: tuple[int, int] | None = None  # (size, modification time in ns) when `checksum` was taken

    @property
    def ref(self) -> str:
        """How rows and the load history name the file: `<folder>/<file name>`."""
        return f"{self.folder}/{self.path.name}"


@dataclass
class FileRead:
    """One file as read: its rows (all strings + `_line`), rejected rows, header, and what the reader saw.

    A Parquet file of a raw-table folder is not read into memory (`rows` is None): map_raw_table selects from it
    straight into the build database (TPC-H SF10: 60 M-row files)."""

    file: LandingFile
    rows: pa.Table | None
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, content)
    columns: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    empty: bool = False
    duplicate_rows: int = 0  # rows repeating an earlier row of the file exactly (set by fetch)
    count: int = 0  # rows read (rejected lines not counted); taken from `rows` when it is given

    def __post_init__(self) -> None:
        if self.rows is not None:
            self.count = self.rows.num_rows

    @property
    def rows_in(self) -> int:
        return self.count + len(self.rejects)

    def source_sql(self) -> str:
        """The file's rows as a relation with a `_line` column: the Parquet file itself, or `landing_rows` (the
        Arrow rows, registered by the caller)."""
        if self.rows is not None:
            return "landing_rows"
        return (
            f"(select * exclude (file_row_number), file_row_number + 1 as _line "
            f"from read_parquet('{_quote(self.file.path)}', file_row_number = true))"
        )


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


# (path, size, modification time in ns) -> (SHA-256 of the content, when it was worked out, in ns), for this process
# (a sensor's ticks) and seeded from meta.landing_checksums by fetch(): a file is hashed again when its size or
# modification time changed. A checksum worked out less than RACY_NS after the file's last change is not trusted
# later (the file may have changed again within the same clock tick, keeping size and time: "racy git").
_checksums: dict[tuple[str, int, int], tuple[str, int]] = {}
RACY_NS = 2 * 10**9


def _stat_key(path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return str(path), info.st_size, info.st_mtime_ns


def checksum(path: Path) -> str:
    return _checksum(path)[0]


def _checksum(path: Path) -> tuple[str, tuple[int, int]]:
    """(SHA-256 of the content, (size, modification time in ns) it was taken at)."""
    key = _stat_key(path)
    known = _checksums.get(key)
    if known is not None and known[1] - key[2] >= RACY_NS:
        return known[0], key[1:]
    hashed_at = time.time_ns()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _checksums[key] = (digest, hashed_at)
    return digest, key[1:]


def _remember_checksums(con: duckdb.DuckDBPyConnection, folders: list[str], files: list[LandingFile]) -> None:
    """Keep the checksums of `files`, the files now in `folders`, in meta.landing_checksums for the next run."""
    columns: list[list] = [[], [], [], [], []]
    for f in files:
        key = _stat_key(f.path)
        digest, hashed_at = _checksums.get(key, (f.checksum, 0))  # 0: the file changed since, not trusted
        for column, value in zip(columns, (f.ref, key[1], key[2], digest, hashed_at), strict=True):
            column.append(value)
    con.execute("begin transaction")
    try:
        con.execute(
            "delete from meta.landing_checksums where split_part(file_ref, '/', 1) in (select unnest(?::varchar[]))",
            [folders],
        )
        con.execute(
            "insert into meta.landing_checksums select unnest(?::varchar[]), unnest(?::bigint[]), "
            "unnest(?::bigint[]), unnest(?::varchar[]), unnest(?::bigint[])",
            columns,
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _seed_checksums(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> None:
    """Load the checksums earlier runs worked out (meta.landing_checksums) into this process's memo."""
    for ref, size, mtime_ns, digest, hashed_at in con.execute("from meta.landing_checksums").fetchall():
        _checksums.setdefault((str(landing_dir / ref), size, mtime_ns), (digest, hashed_at))


def _refuse_broken_link(path: Path) -> None:
    """A symlink whose target is gone is a one-line error naming it (never a traceback, never skipped)."""
    if path.is_symlink() and not path.exists():
        raise LandingError(f"{path}: broken symlink to {path.readlink()} (its target is missing): fix or remove it")


def _refuse_special(path: Path) -> None:
    """Only folders and regular files (or links to them) are read: opening a FIFO blocks until someone writes to
    it (a build hung on one), and a socket or device is no export. One line naming it, checked before any open."""
    mode = path.stat().st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise LandingError(f"{path}: is {kind}, not a regular file: landing files must be plain files; remove it")


def scan(landing_dir: Path, folders: Iterable[str] | None = None) -> list[LandingFile]:
    """Every data file under LANDING_DIR (or under the given folders of it), sorted by folder and name;
    unusable names fail with one line."""
    if not landing_dir.is_dir():
        raise LandingError(
            f"LANDING_DIR={landing_dir} is not a folder: create it with one sub-folder per raw table "
            f"({', '.join(RAW_TABLES)}) or an export folder ({', '.join(ADAPTERS)})"
        )
    found = []
    for entry in sorted(landing_dir.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        _refuse_broken_link(entry)
        _refuse_special(entry)
        if entry.is_file():
            raise LandingError(f"{entry}: files go in a sub-folder named after their raw table, e.g. orders/")
        if entry.name not in RAW_TABLES and entry.name not in ADAPTERS:
            raise LandingError(
                f"{entry}: folder names no raw table: rename it to one of {', '.join(RAW_TABLES)} or an export "
                f"folder ({', '.join(ADAPTERS)})"
            )
        if folders is not None and entry.name not in folders:
            continue
        for path in sorted(entry.iterdir()):
            if path.name.startswith((".", "_")):
                continue
            _refuse_broken_link(path)
            _refuse_special(path)
            if path.is_dir():
                continue
            if path.suffix.lower() not in EXTENSIONS:
                raise LandingError(
                    f"{path}: unknown format {path.suffix or '(no extension)'!r}: export it as .csv or .parquet"
                )
            day = None if entry.name in SHOP_EXPORTS else _day_from_name(path)  # an export's name is no day
            digest, size_and_time = _checksum(path)
            found.append(LandingFile(path, entry.name, digest, day, size_and_time))
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
    aliases = {"utf8": "utf-8", "utf-8-bom": "utf-8-sig", "latin1": "latin-1", "iso-8859-1": "latin-1"}
    aliases |= {"windows-1252": "cp1252", "shift-jis": "shift_jis", "sjis": "shift_jis", "cp936": "gbk"}
    encoding = aliases.get(encoding, encoding)
    if encoding not in ENCODINGS:
        raise LandingError(f"{path}: encoding {encoding!r} is not supported: use one of {', '.join(ENCODINGS)}")
    return {**declared, "encoding": encoding}


# ------------------------------------------------------------------------------------------------- reading


def _decode(f: LandingFile, data: bytes, declared: str | None) -> tuple[str, str]:
    """(text, encoding): the declared encoding, else UTF-8 (with or without BOM), else GBK when the text it gives
    is likely Chinese (_unlikely_gbk)."""
    candidates = [declared] if declared else (["utf-8-sig"] if data.startswith(BOM) else ["utf-8", "gbk"])
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gbk" and not declared:
            unlikely = _unlikely_gbk(text)
            if unlikely:
                raise LandingError(
                    f"{f.path}: not UTF-8, and read as GBK it gives unlikely text ({unlikely}): it is probably "
                    f"Latin-1 or Shift-JIS; re-export it as UTF-8, or declare its encoding in "
                    f'{f.folder}/{FORMAT_FILE}, e.g. {{"encoding": "latin-1"}}'
                )
        return text, encoding
    raise LandingError(
        f"{f.path}: cannot be read as {' or '.join(candidates)}: re-export it as UTF-8, or declare its "
        f"encoding in {f.folder}/{FORMAT_FILE}"
    )


UNLIKELY_GBK_SHARE = 0.2
NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _unlikely_gbk(text: str) -> str | None:
    """Why `text`, decoded as GBK, is probably another encoding, or None. Chinese text in GBK is almost all
    GB2312 (the 6,763 common hanzi and the usual punctuation); Latin-1 letters before ASCII ('Zürich') and
    Shift-JIS kana and kanji decode to GBK's rare extension characters ('Z黵ich', '搶嫗搒'). More than a fifth
    of the non-ASCII characters outside GB2312 is not Chinese."""
    runs = NON_ASCII.findall(text)
    characters = "".join(runs)
    if not characters:
        return None
    rare = [c for c in set(characters) if not _in_gb2312(c)]
    rare_count = sum(characters.count(c) for c in rare)
    if rare_count <= UNLIKELY_GBK_SHARE * len(characters):
        return None
    example = next(run for run in runs if any(c in rare for c in run))
    start = text.index(example)
    line = text.count("\n", 0, start) + 1
    context = text[max(0, start - 8) : start + len(example) + 8].splitlines()
    snippet = next((part for part in context if example[0] in part), example)
    return (
        f"{rare_count} of {len(characters)} non-ASCII characters are rare in Chinese, e.g. {snippet!r} on line {line}"
    )


def _in_gb2312(character: str) -> bool:
    try:
        character.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def read_file(con: duckdb.DuckDBPyConnection, f: LandingFile, into_memory: bool = True) -> FileRead:
    """Read one file with DuckDB into strings; CSV lines DuckDB rejects come back with its reason. A Parquet file
    with `into_memory=False` is only opened (columns and row count from its footer): rows stay on disk.

    A stable copy only: the file must not change while it is read (size and modification time the same before and
    after, and a CSV's bytes hash to the checksum scan() took). A file that changed is read once more after it
    settles (with the checksum of what was read); one still changing is refused with one line."""
    for attempt in range(2):
        if attempt:
            _settle(f.path)
        before = _stat_key(f.path)
        read, digest = _read_once(con, f, into_memory)
        after = _stat_key(f.path)
        if before == after and digest == f.checksum and (f.stat is None or f.stat == before[1:]):
            return read
        if attempt and before == after:  # settled: what was read is a whole version, named by its own checksum
            _checksums[after] = (digest, time.time_ns())
            read.file = LandingFile(f.path, f.folder, digest, f.name_day, after[1:])
            return read
    raise LandingError(
        f"{f.path}: changed while it was read (size, modification time or content moved): let the export finish "
        "writing it (or write it elsewhere and move it in), then run again"
    )


SETTLE_S = 0.2


def _settle(path: Path, tries: int = 25) -> None:
    """Wait until the file's size and modification time stay the same for SETTLE_S (at most `tries` waits)."""
    last = _stat_key(path)
    for _ in range(tries):
        time.sleep(SETTLE_S)
        now = _stat_key(path)
        if now == last:
            return
        last = now


def _read_once(con: duckdb.DuckDBPyConnection, f: LandingFile, into_memory: bool) -> tuple[FileRead, str]:
    """(the file as read, SHA-256 of the bytes read; of the whole file for a Parquet file)."""
    if f.path.suffix.lower() == ".parquet":
        source = f"read_parquet('{_quote(f.path)}')"
        unchanged = f.stat in (None, _stat_key(f.path)[1:])  # else hashed again: the checksum is of another version
        digest = f.checksum if unchanged else hashlib.sha256(f.path.read_bytes()).hexdigest()
        try:
            if not into_memory:
                columns = [d[0] for d in con.execute(f"select * from {source} limit 0").description]
                count = con.execute(f"select count(*) from {source}").fetchall()[0][0]
                return FileRead(f, None, columns=columns, count=count), digest
            table = con.sql(f"select columns(*)::varchar from {source}").to_arrow_table()
        except duckdb.Error as error:
            raise LandingError(f"{f.path}: not a readable Parquet file ({_first_line(error)}): re-export it") from None
        lines = pa.array(range(1, table.num_rows + 1), pa.int64())
        return FileRead(f, table.append_column("_line", lines), columns=list(table.column_names)), digest
    data = f.path.read_bytes()
    return _read_csv(con, f, data), hashlib.sha256(data).hexdigest()


MAX_LINE_BYTES = 2 * 1024 * 1024
"""A CSV record longer than this is a rejected line (DuckDB's `max_line_size`, set to it explicitly)."""
REJECT_CONTENT_CHARS = 1000  # a rejected line's content in quarantine.file_rows is cut to this


def _read_csv(con: duckdb.DuckDBPyConnection, f: LandingFile, data: bytes) -> FileRead:
    """A CSV file's rows as strings, each with its physical line (`_line`: blank lines and newlines inside quoted
    fields counted, as an editor numbers them). DuckDB reads it with the dialect given (no sniffing, which fails
    the whole file on one bad line): a line it cannot parse (too many or too few fields, a stray quote, longer
    than MAX_LINE_BYTES) is a reject with DuckDB's reason, the rest loads. A quote never closed would swallow
    every later line into one reject: that line is blanked and the file read again (its line numbers unchanged),
    the line rejected as `unterminated quote`."""
    fmt = folder_format(f.path.parent)
    text, encoding = _decode(f, data, fmt.get("encoding"))
    if not text.strip():
        return FileRead(f, pa.table({"_line": pa.array([], pa.int64())}), encoding=encoding, empty=True)
    delimiter = fmt.get("delimiter", ",")
    text = text.removeprefix("\ufeff")  # DuckDB skips a BOM itself
    skip, header_line = 0, ""
    for skip, header_line in enumerate(io.StringIO(text, newline="")):  # noqa: B007 (the first line kept)
        if header_line.strip():
            break
    header = [c.strip() for c in header_line.strip("\r\n").split(delimiter)]
    # the header's line ending, given to DuckDB: left to guess, it takes a blank first line's and reads no row
    ending = header_line[len(header_line.rstrip("\r\n")) :]
    dialect = {"skip": skip, "delimiter": delimiter, "new_line": ending}
    table, rejects = _duckdb_csv(con, f, text if encoding in TRANSCODED else None, header, dialect)
    numbers = _one_line_records(text, skip + 1, table.num_rows, rejects)
    if numbers is None:  # a record spans lines (or DuckDB's line count is not physical): scan the records
        blanked, records, unclosed = _records(text, delimiter)
        if unclosed:
            table, rejects = _duckdb_csv(con, f, blanked, header, dialect)
        physical = dict(records)  # DuckDB's line of a record -> its physical line
        rejected = {line for line, _, _ in rejects}
        numbers = [p for d, p in records[1:] if d not in rejected]
        rejects = [(physical.get(line, line), reason, content) for line, reason, content in rejects]
        rejects += [(line, UNCLOSED, content) for line, content in unclosed]
        if len(numbers) != table.num_rows:  # never load what DuckDB made of records it did not see as the scan did
            raise LandingError(
                f"{f.path}: DuckDB read {table.num_rows} row(s) and rejected {len(rejects) - len(unclosed)} line(s) "
                f"of its {len(records) - 1} records (mixed line endings?): re-export it with one kind of line ending"
            )
    return FileRead(
        f,
        table.append_column("_line", pa.array(numbers, pa.int64())),
        rejects=sorted((line, reason, _cut(content)) for line, reason, content in rejects),
        columns=header,
        encoding=encoding,
    )


UNCLOSED = "unterminated quote: the quoted field opened on this line is never closed"


def _duckdb_csv(
    con: duckdb.DuckDBPyConnection, f: LandingFile, text: str | None, header: list[str], dialect: dict
) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """(rows, rejects (DuckDB's line, reason, content)) of the file, or of `text` (written to a temporary UTF-8
    file: DuckDB reads UTF-8 only) when given. `dialect`: lines to skip before the header, delimiter, new_line."""
    path, temp = f.path, None
    if text is not None:
        temp = tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", delete=False, newline="")
        temp.write(text)
        temp.close()
        path = Path(temp.name)
    columns = ", ".join(f"'{_quote(c)}': 'varchar'" for c in header)
    escaped = dialect["new_line"].replace("\r", "\\r").replace("\n", "\\n")
    new_line = f", new_line = '{escaped}'" if escaped else ""
    try:
        con.execute("drop table if exists reject_errors")
        con.execute("drop table if exists reject_scans")
        table = con.sql(
            f"""
            select * from read_csv(
                '{_quote(path)}', header = true, skip = {dialect["skip"]}, delim = '{_quote(dialect["delimiter"])}',
                quote = '"', escape = '"', store_rejects = true, auto_detect = false,
                max_line_size = {MAX_LINE_BYTES}, columns = {{{columns}}}{new_line}
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
    return table, _unique_lines(rejects)


BLANK_LINE = re.compile(r"(?:\A|\n)\r?(?=\n)")


def _one_line_records(text: str, header_at: int, count: int, rejects: list[tuple[int, str, str]]) -> list[int] | None:
    """Physical line of each accepted row when every record is one line (then DuckDB's lines are physical), else
    None. Every line is the header, a line skipped before it, a blank line (DuckDB skips them), a row or a
    reject exactly when no record spans lines: counted in C, so the usual file costs no scan in Python."""
    lines = text.count("\n") + (not text.endswith("\n"))
    blank: set[int] = set()
    newlines, counted_to = 0, 0  # newlines in text[:counted_to]
    for match in BLANK_LINE.finditer(text):  # few: only blank lines match
        if match.group().startswith("\n"):  # the line after this newline is blank
            newlines += text.count("\n", counted_to, match.start())
            counted_to = match.start()
            line = newlines + 2
        else:  # the text starts with a blank line
            line = 1
        if line > header_at:
            blank.add(line)
    if header_at + count + len(rejects) + len(blank) != lines:
        return None
    return _line_numbers(count, rejects, header_at + 1, blank)


def _records(text: str, delimiter: str) -> tuple[str, list[tuple[int, int]], list[tuple[int, str]]]:
    """(text, records, unclosed): the (DuckDB's line, physical line) of each non-blank record (the header
    first), found by Python's csv reader, which opens and closes quotes where DuckDB does; DuckDB counts blank
    lines but not newlines inside quoted fields. A line whose quote is never closed is blanked in the text
    returned (DuckDB would read every later line into that field) and listed in `unclosed` (line, content)."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    lines = io.StringIO(text, newline="").readlines()
    records: list[tuple[int, int]] = []
    unclosed: list[tuple[int, str]] = []
    quoted_newlines = 0
    position = 0  # lines before the reader's first line
    while position < len(lines):
        reader = csv.reader(iter(lines[position:]), delimiter=delimiter, quotechar='"', strict=True)
        done = 0  # lines this reader has consumed in whole records
        try:
            for row in reader:
                start, done = position + done + 1, reader.line_num
                if row:
                    records.append((start - quoted_newlines, start))
                quoted_newlines += position + done - start
            break
        except csv.Error as error:
            start = position + done + 1
            if "unexpected end of data" in str(error):  # a quote open at the end: it opened on line `start`
                line = lines[start - 1]
                unclosed.append((start, line.rstrip("\r\n")))
                lines[start - 1] = line[len(line.rstrip("\r\n")) :]  # blank, the same line ending
                position = start
                continue
            # another quote DuckDB rejects on its own (`"ab"c`): a record ending on the line the reader stopped at
            end = position + max(reader.line_num, done + 1)
            records.append((start - quoted_newlines, start))
            quoted_newlines += end - start
            position = end
    return ("".join(lines) if unclosed else text), records, unclosed


def _cut(content: str | None) -> str | None:
    if content is None or len(content) <= REJECT_CONTENT_CHARS:
        return content
    return f"{content[:REJECT_CONTENT_CHARS]}… ({len(content.encode())} bytes in all)"


def _unique_lines(rejects: list[tuple]) -> list[tuple[int, str, str]]:
    """One reject per line (DuckDB may report several errors of one line)."""
    seen: dict[int, tuple[int, str, str]] = {}
    for line, reason, content in rejects:
        seen.setdefault(int(line), (int(line), str(reason), str(content)))
    return list(seen.values())


def _line_numbers(
    count: int, rejects: list[tuple[int, str, str]], first: int = 2, blank: set[int] | frozenset = frozenset()
) -> list[int]:
    """Physical line of each accepted row of a file whose records are one line each: rows come in file order
    from line `first`, skipping rejected and blank lines."""
    skipped = {line for line, _, _ in rejects} | blank
    lines: list[int] = []
    line = first
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


def _day_sql(column: str, shop_tz: str = "UTC") -> str:
    """SQL for the partition day of a date or timestamp column, NULL when it holds none (text or typed): the day
    in SHOP_TZ of a timestamp with a UTC offset, as the loader types it (rules.typed_sql)."""
    text = f'cast("{_ident(column)}" as varchar)'
    return f"try_cast({typed_sql('TIMESTAMP', text, repr_sql(shop_tz))} as date)"


def repr_sql(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + _quote(value) + "'"


ROW_BLOCK = 2**32
"""`_row` of a staged row = file ordinal × ROW_BLOCK + line: unique, and in arrival order (files, then lines)."""


class Landing:
    """What a fetch hands the loader: one temp table per raw table in the build connection (raw.Staged), filled
    file by file with the rows of the run's partition days. The rows never pass through Python, so a table is
    bounded by DuckDB's memory limit (it spills to disk), not by the size of an Arrow copy."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        tables: Iterable[str],
        first_day: dt.date,
        last_day: dt.date,
        shop_tz: str = "UTC",
    ):
        self.con, self.first_day, self.last_day, self.shop_tz = con, first_day, last_day, shop_tz
        self.counts: dict[str, int] = {}
        self.arrow_rows = 0
        for name in tables:
            columns = ", ".join(f'"{c.name}" varchar' for c in RAW_TABLES[name].columns)
            con.execute(
                f"create or replace temp table landing_{name} "
                f"({columns}, _partition_date date, _source varchar, _row bigint)"
            )
            self.counts[name] = 0

    def insert(self, name: str, select_sql: str, params: dict | None = None) -> None:
        """Append the rows of `select_sql` (contract columns, `_partition_date`, `_source`, `_row`) that fall in
        the run's partition days."""
        self.counts[name] += self.con.execute(
            f"insert into landing_{name} select * from ({select_sql}) "
            "where _partition_date between $first_day and $last_day",
            {**(params or {}), "first_day": self.first_day, "last_day": self.last_day},
        ).fetchall()[0][0]

    def insert_arrow(self, name: str, data: pa.Table) -> None:
        """Rows an adapter made in memory (Online Retail): they come before the files' rows."""
        columns = ", ".join(f'cast("{c.name}" as varchar) as "{c.name}"' for c in RAW_TABLES[name].columns)
        rows = data.append_column("_row", pa.array(range(self.arrow_rows, self.arrow_rows + data.num_rows), pa.int64()))
        self.arrow_rows += data.num_rows
        self.con.register("adapter_rows", rows)
        try:
            meta = "cast(_partition_date as date) as _partition_date, cast(_source as varchar) as _source, _row"
            self.insert(name, f"select {columns}, {meta} from adapter_rows")
        finally:
            self.con.unregister("adapter_rows")

    def staged(self, set_aside: dict[str, int] | None = None) -> dict[str, Staged]:
        return {
            name: Staged(
                f"landing_{name}",
                count,
                (*RAW_TABLES[name].column_names, "_partition_date", "_source", "_row"),
                (set_aside or {}).get(name, 0),
            )
            for name, count in self.counts.items()
        }


def map_raw_table(
    con: duckdb.DuckDBPyConnection,
    read: FileRead,
    table: RawTable,
    batch: Batch,
    landing: Landing,
    ordinal: int,
    today: dt.date,
) -> None:
    """A file in LANDING_DIR/<raw table>/ into `landing`: contract columns as strings, `_partition_date`,
    `_source`; rows without a usable day are set aside with the reason (recorded in `batch`)."""
    f = read.file
    for line, reason, content in read.rejects:
        batch.set_aside.append(_aside(f, line, "unparseable", reason, content, f.name_day))
    if read.empty:
        return
    present = _present_columns(read, table)
    if f.name_day is None and table.date_column is None:
        raise LandingError(f"{f.path}: {table.name} files need their day in the name, e.g. {table.name}-2026-06-30.csv")
    columns = _contract_columns(table, present)
    rest = f"'{_quote(f.ref)}:' || _line as _source, {ordinal} * {ROW_BLOCK} + _line as _row"
    if read.rows is not None:
        con.register("landing_rows", read.rows)
    try:
        if f.name_day is not None:  # one day for the whole file: one query (order_items at TPC-H SF1: 2,400 files)
            if _after(f.name_day, today):
                lines = read.rows.column("_line").to_pylist() if read.rows is not None else range(1, read.count + 1)
                detail = f"the file name says {f.name_day}"
                for line in lines:
                    batch.set_aside.append(_aside(f, line, "future date", detail, None, None))
                return
            landing.insert(
                table.name, f"select {columns}, date '{f.name_day}' as _partition_date, {rest} from {read.source_sql()}"
            )
            batch.to_loader[f.ref] = batch.to_loader.get(f.ref, 0) + read.count
            return
        # Dated by a column: placed in a partition day, or set aside here with the reason. Decided in DuckDB; only
        # the rows set aside come back to Python (a per-row Python pass cost ~30 s on 24 M TPC-H rows).
        day = _day_sql(present[table.date_column], landing.shop_tz)
        dated = f"(select *, {day} as _landing_day from {read.source_sql()})"
        placed, low, high, aside = con.execute(
            f"""
            select
                count(*) filter (where _landing_day <= $today),
                min(_landing_day) filter (where _landing_day <= $today),
                max(_landing_day) filter (where _landing_day <= $today),
                list((_line, _landing_day) order by _line) filter (where _landing_day is null or _landing_day > $today)
            from {dated}
            """,
            {"today": today},
        ).fetchall()[0]
        for line, d in aside or []:
            rule = "unparseable date" if d is None else "future date"
            detail = f"{table.date_column} gives no day" if d is None else f"{table.date_column} is {d}"
            batch.set_aside.append(_aside(f, line, rule, detail, None, None))
        landing.insert(
            table.name,
            f"select {columns}, _landing_day as _partition_date, {rest} from {dated} where _landing_day <= $today",
            {"today": today},
        )
    finally:
        if read.rows is not None:
            con.unregister("landing_rows")
    if low is not None:
        batch.file_days[f.ref] = {low, high}
    batch.to_loader[f.ref] = batch.to_loader.get(f.ref, 0) + placed


def map_named_parquet(
    con: duckdb.DuckDBPyConnection, group: list[tuple[int, FileRead]], table: RawTable, batch: Batch, landing: Landing
) -> None:
    """Parquet files of one raw-table folder, each dated by its name (not after today) and all with the same
    columns, into `landing` in one query: what map_raw_table does for each of them."""
    present = _present_columns(group[0][1], table)
    files = pa.table(
        {
            "_lf_path": [str(read.file.path) for _, read in group],
            "_lf_ref": [read.file.ref for _, read in group],
            "_lf_day": pa.array([read.file.name_day for _, read in group], pa.date32()),
            "_lf_ordinal": pa.array([ordinal for ordinal, _ in group], pa.int64()),
        }
    )
    con.register("landing_files", files)
    try:
        landing.insert(
            table.name,
            f"""
            select {_contract_columns(table, present)}, _lf_day as _partition_date,
                _lf_ref || ':' || (file_row_number + 1) as _source,
                _lf_ordinal * {ROW_BLOCK} + file_row_number + 1 as _row
            from read_parquet($paths, filename = true, file_row_number = true)
            join landing_files on filename = _lf_path
            """,
            {"paths": files.column("_lf_path").to_pylist()},
        )
    finally:
        con.unregister("landing_files")
    for _, read in group:
        batch.to_loader[read.file.ref] = batch.to_loader.get(read.file.ref, 0) + read.count


def _present_columns(read: FileRead, table: RawTable) -> dict[str, str]:
    """{contract column: the file's column} (names match case-insensitively); missing required ones fail."""
    names = read.rows.column_names if read.rows is not None else read.columns
    present = {c.lower(): c for c in names if c != "_line"}
    missing = [c.name for c in table.columns if not c.nullable and c.name not in present]
    if missing:
        raise LandingError(
            f"{read.file.path}: missing column(s) {', '.join(missing)} of raw.{table.name}: add them to the header "
            "(see docs/raw-contract.md)"
        )
    return present


def _contract_columns(table: RawTable, present: dict[str, str]) -> str:
    """SELECT list of the contract columns as text from a file's columns (NULL for an optional one it lacks)."""
    return ", ".join(
        f'cast("{_ident(present[c.name])}" as varchar) as "{c.name}"'
        if c.name in present
        else f'cast(null as varchar) as "{c.name}"'
        for c in table.columns
    )


def _after(day: dt.date | None, today: dt.date) -> bool:
    """A day after `today` has not happened: a file named after it is read by every run (its rows set aside as
    'future date') and never stretches a build's days. The one test of it, with the `today` of the caller."""
    return day is not None and day > today


def _ident(name: str) -> str:
    return name.replace('"', '""')


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
        "create table if not exists meta.landing_checksums "
        "(file_ref varchar, size bigint, mtime_ns bigint, checksum varchar, hashed_at_ns bigint)"
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
                    and raw_rows.table_name in (select unnest(coalesce(
                        map_extract({_adapter_tables_sql()}, latest.folder)[1], [latest.folder])))
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


def unaccounted_files(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, int, int, dt.date, dt.date]]:
    """Files now in LANDING_DIR/<table>/ (their latest version) with rows in none of raw.<table>, quarantine.<table>
    and quarantine.file_rows: (file ref, rows in, rows found there, first day, last day). Only an undated file can
    have them: its rows span days, and a run loads only its own (a daily run for one of a 3-day file's days left two
    days' rows nowhere); a day-named file is read whole by every run over its day. Found counts the file's rows from
    any version (a corrected file's other days keep the earlier version's rows): rows nowhere are rows missing.
    Reads only (the gates' connection is read-only)."""
    kept = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'meta' "
        "and table_name in ('file_loads', 'landing_checksums')"
    ).fetchone()[0]
    if kept < 2:
        return []
    candidates = con.execute(
        """
        select latest.file_ref, latest.rows_in, latest.first_day, latest.last_day
        from (
            select * from meta.file_loads where folder = $table
            qualify row_number() over (partition by file_ref order by loaded_at desc) = 1
        ) as latest
        semi join meta.landing_checksums as now
            on now.file_ref = latest.file_ref and now.checksum = latest.checksum
        where latest.status in ('loaded', 'replaced') and latest.rows_in > 0
            and latest.first_day is distinct from latest.last_day
        order by 1
        """,
        {"table": table},
    ).fetchall()
    missing = []
    for ref, rows_in, first, last in candidates:
        if DAY_IN_NAME.search(ref.split("/", 1)[1]):
            continue
        found = con.execute(
            f"""
            select
                (select count(*) from raw.{table} where starts_with(_source, $prefix))
                + (select count(*) from quarantine.{table} where starts_with(_source, $prefix))
                + (select count(*) from quarantine.file_rows where file_ref = $ref)
            """,
            {"prefix": f"{ref}:", "ref": ref},
        ).fetchone()[0]
        if found < rows_in:
            missing.append((ref, rows_in, found, first, last))
    return missing


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


def _adapter_tables_sql() -> str:
    """ADAPTER_ROW_TABLES as a DuckDB MAP literal."""
    keys = ", ".join(f"'{k}'" for k in ADAPTER_ROW_TABLES)
    values = ", ".join("[" + ", ".join(f"'{t}'" for t in v) + "]" for v in ADAPTER_ROW_TABLES.values())
    return f"map([{keys}], [{values}])"


def _adapter(folder: str):
    """The adapter module of an export folder."""
    import importlib

    return importlib.import_module(f"dagster_project.sources.{folder}")


def _produces(folder: str) -> tuple[str, ...]:
    if folder in ADAPTERS:
        return _adapter(folder).TABLES
    return (folder,)


def fetch_groups(settings: Settings, tables: Iterable[str]) -> list[list[str]]:
    """One group per raw table, in load order, except that the tables an adapter folder present in
    LANDING_DIR makes (online_retail/, taobao/, shopify/: customers, products, orders, order_items) are one group:
    fetching them one at a time would read and map the exports once per table."""
    from dagster_project.warehouse.raw import load_order

    ordered = load_order(tables)
    together: set[str] = set()
    for folder in ADAPTERS:
        if (settings.landing_dir / folder).is_dir():
            together |= set(_produces(folder)) & set(ordered)
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
    con: duckdb.DuckDBPyConnection,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Staged]:
    """Rows of the partition days [first_day, last_day] for each requested raw table, from the landing files,
    staged in temp tables of `con` (the build database, where the file bookkeeping is written too:
    meta.file_loads, quarantine.file_rows)."""
    from dagster_project.sources import online_retail

    tables = list(tables)
    folders = [f for f in (*RAW_TABLES, *ADAPTERS) if set(_produces(f)) & set(tables)]
    ensure_meta(con)
    _seed_checksums(con, settings.landing_dir)
    landed = scan(settings.landing_dir, folders)
    _remember_checksums(con, folders, landed)
    files, duplicates = split_duplicates(landed)
    known = _known(con)
    batch = Batch()
    reads: list[FileRead] = []
    today = dt.date.today()
    # scratch connection: rejects tables and temp views stay out of the warehouse; the same memory limit as the build's
    work = duckdb.connect(config=settings.duckdb_config)
    try:
        for f in files:
            if f.folder in SHOP_EXPORTS:  # date-range exports: all of them, every run (module doc)
                reads.append(read_file(work, f))
                continue
            if f.name_day is not None and not _after(f.name_day, today) and not first_day <= f.name_day <= last_day:
                continue  # (a file named after today is read by every run: its rows are set aside, see map_raw_table)
            seen = known.get(f.ref)
            if f.name_day is None and seen and seen[0] == f.checksum and seen[1] is not None:
                if seen[2] < first_day or seen[1] > last_day:
                    continue  # unchanged undated file with no rows in these days
            reads.append(read_file(work, f, into_memory=f.folder in ADAPTERS))
        _count_duplicate_rows(work, reads)
        landing = Landing(con, tables, first_day, last_day, settings.shop_tz)
        retail = [r for r in reads if r.file.folder == "online_retail"]
        if retail:
            online_retail.map_files(work, con, retail, first_day, batch)
        for folder in SHOP_EXPORTS:
            exports = [r for r in reads if r.file.folder == folder]
            if exports:
                _adapter(folder).map_files(work, con, exports, first_day, last_day, batch, settings.shop_tz)
        for name, parts in batch.tables.items():
            for part in parts:
                landing.insert_arrow(name, part)
        batch.tables.clear()
        # Parquet files dated by their name go in one query per folder (and column list): TPC-H's order_items are
        # 2,400 day files, and a query per file cost 13 ms each
        by_name: dict[tuple[str, tuple[str, ...]], list[tuple[int, FileRead]]] = {}
        for ordinal, read in enumerate(reads, start=1):
            f = read.file
            if f.folder in ADAPTERS:
                continue
            if read.rows is None and f.name_day is not None and not _after(f.name_day, today):
                by_name.setdefault((f.folder, tuple(read.columns)), []).append((ordinal, read))
            else:
                map_raw_table(con, read, RAW_TABLES[f.folder], batch, landing, ordinal, today)
        for (folder, _), group in by_name.items():
            map_named_parquet(con, group, RAW_TABLES[folder], batch, landing)
        for read in reads:  # Parquet rows were read from disk just now: still the version read_file checked
            if read.rows is None and read.file.stat not in (None, _stat_key(read.file.path)[1:]):
                raise LandingError(
                    f"{read.file.path}: changed while it was read (size or modification time moved): let the "
                    "export finish writing it (or write it elsewhere and move it in), then run again"
                )
    finally:
        work.close()
    _record(con, settings, reads, duplicates, known, batch, first_day, last_day)
    if progress:
        progress(f"files: read {len(reads)} file(s) for {first_day}..{last_day}, {len(duplicates)} duplicate(s)")
    return landing.staged(_set_aside_by_table(batch))


def _set_aside_by_table(batch: Batch) -> dict[str, int]:
    """Rows of each raw-table folder set aside here (CSV lines DuckDB rejects, rows without a usable day): the
    tolerance gate counts them with the loader's quarantine. An adapter's set-aside rows (Online Retail's
    cancellations and guest rows, a quarter of that export) are what the adapter maps out by design: they are in
    quarantine.file_rows and meta.file_loads, not in a table's tolerance."""
    counts: dict[str, int] = {}
    for row in batch.set_aside:
        folder = row["file_ref"].split("/", 1)[0]
        if folder in RAW_TABLES:
            counts[folder] = counts.get(folder, 0) + 1
    return counts


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


def _count_duplicate_rows(con: duckdb.DuckDBPyConnection, reads: list[FileRead]) -> None:
    """Set each file's count of rows that repeat an earlier row of the same file exactly (kept, but counted):
    one query per file in memory, one per column list for Parquet files read from disk."""
    on_disk: dict[tuple[str, ...], list[FileRead]] = {}
    for read in reads:
        if read.count == 0:
            continue
        if read.rows is None:
            on_disk.setdefault(tuple(read.columns), []).append(read)
            continue
        con.register("landing_rows", read.rows)
        try:
            read.duplicate_rows = con.execute(
                "select coalesce(sum(n - 1), 0) from "
                "(select * exclude (_line), count(*) as n from landing_rows group by all)"
            ).fetchall()[0][0]
        finally:
            con.unregister("landing_rows")
    for group in on_disk.values():
        by_path = {str(read.file.path): read for read in group}
        for path, repeats in con.execute(
            "select filename, coalesce(sum(n - 1), 0) from (select *, count(*) as n "
            "from read_parquet($paths, filename = true) group by all) group by filename",
            {"paths": list(by_path)},
        ).fetchall():
            by_path[path].duplicate_rows = repeats


def _count_lines(path: Path) -> int:
    data = path.read_bytes()
    if path.suffix.lower() == ".parquet":
        return duckdb.sql(f"select count(*) from read_parquet('{_quote(path)}')").fetchall()[0][0]
    return max(0, len([line for line in data.splitlines() if line.strip()]) - 1)


# ------------------------------------------------------------------------------------------- date ranges


def file_days(
    con: duckdb.DuckDBPyConnection,
    files: list[LandingFile],
    today: dt.date,
    shop_tz: str = "UTC",
    first_partition: dt.date = PARTITIONS_START,
) -> list[dt.date]:
    """Partition days the files cover up to `today`: from the name, or the min/max of the table's date column
    (shop exports: of their order times, in the shop's time zone `shop_tz`). A day before `first_partition`
    (PARTITIONS_START) is a one-line error naming the file and the setting."""
    days: list[dt.date] = []
    before = f"before PARTITIONS_START={first_partition}, the first daily partition the warehouse keeps"
    for f in files:
        if f.name_day is not None:
            if f.name_day < first_partition:
                raise LandingError(
                    f"{f.path}: the day in its name, {f.name_day}, is {before}: set an earlier PARTITIONS_START"
                )
            if not _after(f.name_day, today):  # a file named after today does not stretch the build
                days.append(f.name_day)
            continue
        if f.folder in SHOP_EXPORTS:
            span = _adapter(f.folder).day_span(con, f, today, shop_tz)
            days += list(span or ())
            if span and span[0] < first_partition:
                raise LandingError(
                    f"{f.path}: has orders placed on {span[0]}, {before}: set an earlier PARTITIONS_START or drop "
                    "those rows"
                )
            continue
        table = RAW_TABLES.get(f.folder)
        if table is None or table.date_column is None:
            raise LandingError(f"{f.path}: {f.folder} files need their day in the name, e.g. 2026-06-30")
        span = _day_span(con, f, table.date_column, today, shop_tz)
        if span is None:
            continue
        low, high = span
        days += [d for d in (low, high) if d is not None]
        if low is not None and low < first_partition:
            raise LandingError(
                f"{f.path}: column {table.date_column} has rows dated {low}, {before}: set an earlier "
                "PARTITIONS_START, or drop or fix those rows"
            )
    return days


def _day_span(
    con: duckdb.DuckDBPyConnection, f: LandingFile, column: str, today: dt.date, shop_tz: str = "UTC"
) -> tuple[dt.date | None, dt.date | None] | None:
    """(first, last) day of `column` in an undated file (days after today ignored); None if it lacks the column.
    Parquet is aggregated by DuckDB straight from the file (reading TPC-H SF1's four 6 M-row files into Arrow
    first cost 9 s before every build); CSV goes through read_file for its encodings and rejects."""
    day = _day_sql(column, shop_tz)
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
        days = file_days(con, files, dt.date.today(), settings.shop_tz, settings.partitions_start)
    if not days:
        raise LandingError(
            f"LANDING_DIR={settings.landing_dir} holds no data files: drop CSV or Parquet exports into "
            f"its <raw table>/ or export sub-folders ({', '.join(ADAPTERS)})"
        )
    return min(days), max(days)


def days_covered(settings: Settings, first_day: dt.date, last_day: dt.date) -> set[dt.date]:
    """The days of [first_day, last_day] the landing folder has an export for: the day in a file's name (an empty
    file of a day says the day was exported and had no rows), or any day from the first to the last day of an
    undated file or a shop export (an export of a range covers the days in it). Undated files are read only when
    the day-named files leave a day uncovered."""
    wanted = {first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)}
    if not settings.landing_dir.is_dir():
        return set()
    landed, _ = split_duplicates(scan(settings.landing_dir))
    covered = {f.name_day for f in landed if f.name_day in wanted}
    undated = [f for f in landed if f.name_day is None]
    if covered == wanted or not undated:
        return covered
    with duckdb.connect() as con:
        for f in undated:
            days = file_days(con, [f], dt.date.today(), settings.shop_tz, settings.partitions_start)
            if days:
                covered |= {d for d in wanted if min(days) <= d <= max(days)}
    return covered
