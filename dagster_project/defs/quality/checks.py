"""The quality gates as blocking Dagster asset checks (gates in dagster_project/quality/gates.py).

Raw gates sit on the raw assets, so a bad load stops dbt; mart gates sit on the marts, so a bad mart stops the
publish. A failed check's metadata 'failure' names the gate, the expectation, the failing count and samples; the
CLI summary prints it.
"""

import datetime as dt
import hashlib
import time
from typing import NamedTuple

import dagster as dg
import duckdb

from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.ingest.assets import RAW_KEY
from dagster_project.defs.logging import progress
from dagster_project.defs.resources import WarehouseResource
from dagster_project.quality import gx_runner
from dagster_project.quality.gates import MART_GATES, RAW_GATES, Gate, max_event_at
from dagster_project.settings import Settings, load_settings
from dagster_project.sources import files
from dagster_project.sources.contract import TABLE_NAMES

RAW_CHECKS = ("row_accounting", "quarantine_tolerance", "gx_raw")


# check name -> (check, raw table): e.g. "row_accounting_orders" -> ("row_accounting", "orders")
RAW_CHECK_NAMES = {f"{check}_{table}": (check, table) for table in TABLE_NAMES for check in RAW_CHECKS}


def _raw_check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=f"{check}_{table}",
            asset=RAW_KEY,
            blocking=True,
            description={
                "row_accounting": f"raw.{table}: rows in = rows loaded + rows quarantined for the latest load "
                "(meta.load_history agrees with raw and quarantine)",
                "quarantine_tolerance": f"raw.{table}: quarantined share of the latest load <= QUARANTINE_TOLERANCE",
                "gx_raw": f"GX suite expectations/gx/expectations/raw_{table}.json on a per-day profile of the load",
            }[check],
        )
        for table in TABLE_NAMES
        for check in RAW_CHECKS
    ]


def _latest_load(con: duckdb.DuckDBPyConnection, table: str) -> tuple | None:
    return con.execute(
        """
        select load_id, last_day, rows_in, rows_loaded, rows_quarantined, coalesce(rows_set_aside, 0)
        from meta.load_history
        where table_name = $table
        order by loaded_at desc
        limit 1
        """,
        {"table": table},
    ).fetchone()


def row_accounting(con: duckdb.DuckDBPyConnection, table: str, load: tuple) -> tuple[bool, str, dict]:
    load_id, _, rows_in, rows_loaded, rows_quarantined = load[:5]
    in_raw, in_quarantine = con.execute(
        f"""
        select
            (select count(*) from raw.{table} where _load_id = $load_id),
            (select count(*) from quarantine.{table} where _load_id = $load_id)
        """,
        {"load_id": load_id},
    ).fetchone()
    passed = rows_in == rows_loaded + rows_quarantined and (in_raw, in_quarantine) == (rows_loaded, rows_quarantined)
    message = (
        ""
        if passed
        else f"gate row_accounting failed on raw.{table} load {load_id}: {rows_in} rows in, "
        f"{rows_loaded} loaded + {rows_quarantined} quarantined recorded, {in_raw} in raw + {in_quarantine} in "
        f"quarantine found ({rows_in - in_raw - in_quarantine} unaccounted)"
    )
    metadata = {"rows_in": rows_in, "rows_loaded": in_raw, "rows_quarantined": in_quarantine}
    if passed and _load_source(con, table, load_id) == "files":
        # and every row of the landing files is in raw or a quarantine table (sources/files.py unaccounted_files)
        missing = files.unaccounted_files(con, table)
        if missing:
            ref, file_rows, found, first, last = missing[0]
            more = f" (and {len(missing) - 1} more file(s))" if len(missing) > 1 else ""
            passed = False
            message = (
                f"gate row_accounting failed on raw.{table}: {ref} has {file_rows} rows, {found} of them in "
                f"raw.{table}, quarantine.{table} or quarantine.file_rows: {file_rows - found} row(s) in no "
                f"table{more}; its rows span {first}..{last} and a run loads only its own days: run make backfill "
                f"FROM={first} TO={last}"
            )
            metadata["files_with_rows_in_no_table"] = len(missing)
    return passed, message, metadata


def _load_source(con: duckdb.DuckDBPyConnection, table: str, load_id: str) -> str | None:
    row = con.execute(
        "select source from meta.load_history where load_id = $load_id and table_name = $table",
        {"load_id": load_id, "table": table},
    ).fetchone()
    return row[0] if row else None


def quarantine_tolerance(
    con: duckdb.DuckDBPyConnection, table: str, load: tuple, tolerance: float
) -> tuple[bool, str, dict]:
    """Rows the loader quarantined plus rows the source set aside before it (quarantine.file_rows of the table's
    files: a file whose every date is unreadable never reaches the loader) against every row that came in."""
    load_id, _, rows_in, _, rows_quarantined = load[:5]
    set_aside = load[5] if len(load) > 5 else 0
    held = rows_quarantined + set_aside
    share = held / (rows_in + set_aside) if rows_in + set_aside else 0.0
    passed = share <= tolerance
    message = ""
    if not passed:
        rules = con.execute(
            f"""
            select _rule, count(*) as rows, min(_source) as example
            from quarantine.{table}
            where _load_id = $load_id
            group by _rule
            """,
            {"load_id": load_id},
        ).fetchall()
        if set_aside:
            rules += con.execute(
                """
                select rule || ' (set aside)', count(*), min(file_ref || ':' || line)
                from quarantine.file_rows
                where split_part(file_ref, '/', 1) = $table
                    and _loaded_at = (select max(_loaded_at) from quarantine.file_rows
                        where split_part(file_ref, '/', 1) = $table)
                group by rule
                """,
                {"table": table},
            ).fetchall()
        rules.sort(key=lambda r: (-r[1], r[0]))
        detail = ", ".join(f"{rule} {rows} (e.g. {example})" for rule, rows, example in rules[:6])
        where = f"quarantine.{table}" + (" and quarantine.file_rows" if set_aside else "")
        message = (
            f"gate quarantine_tolerance failed on raw.{table}: expectation quarantined share <= {tolerance:.1%} "
            f"(QUARANTINE_TOLERANCE), got {held} of {rows_in + set_aside} rows ({share:.1%}) in {where}, "
            f"load {load_id}: {detail}"
        )
    metadata = {"rows_quarantined": rows_quarantined, "rows_set_aside": set_aside, "quarantined_share": round(share, 6)}
    return passed, message, metadata


def _gx(
    con: duckdb.DuckDBPyConnection,
    gate: Gate,
    params: dict,
    suite_params: dict,
    tested_through: dt.datetime | None = None,
) -> tuple[bool, str, dict]:
    frame = gate.frame(con, params, tested_through)
    result = gx_runner.run_checkpoint(gate.name, frame, {k: suite_params[k] for k in gate.parameters})
    return (
        result.success,
        "" if result.success else result.message(),
        {"rows_validated": len(frame), "expectations": result.evaluated, "failed_expectations": len(result.failures)},
    )


@dg.multi_asset_check(
    specs=_raw_check_specs(),
    can_subset=True,
    description="Raw gates on the latest load of each raw table: row accounting, quarantine tolerance, GX suite.",
)
def raw_gates(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    tolerance = load_settings().quarantine_tolerance
    gates = {gate.asset_key[1]: gate for gate in RAW_GATES}
    started = time.perf_counter()
    settings = warehouse.settings()
    with duckdb.connect(str(settings.build_db), read_only=True, config=settings.duckdb_config) as con:
        metadata: dict
        for spec in context.selected_asset_check_keys:
            check, table = RAW_CHECK_NAMES[spec.name]
            load = _latest_load(con, table)
            if load is None:
                passed, message, metadata = False, f"gate {spec.name} failed: raw.{table} was never loaded", {}
            elif check == "row_accounting":
                passed, message, metadata = row_accounting(con, table, load)
            elif check == "quarantine_tolerance":
                passed, message, metadata = quarantine_tolerance(con, table, load, tolerance)
            else:
                passed, message, metadata = _gx(
                    con,
                    gates[table],
                    {"load_id": load[0]},
                    {"max_event_at": max_event_at(load[1]), "quarantine_tolerance": tolerance},
                )
            if not passed:
                context.log.error(message)
            yield dg.AssetCheckResult(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=passed,
                metadata={**metadata, "load_id": load[0] if load else "", "failure": message},
            )
    progress(context.log, f"{len(context.selected_asset_check_keys)} raw gates in {time.perf_counter() - started:.1f}s")


def _fingerprint(con: duckdb.DuckDBPyConnection, gate: Gate) -> str:
    """What a stamped gate's mark holds for: its query (this run's vars are in it), its suite and what it is
    compared with (Gate.compared_with)."""
    suite = gx_runner.GX_ROOT / "gx" / "expectations" / f"{gate.name}.json"
    compared = repr(con.execute(gate.compared_with).fetchall()) if gate.compared_with else ""
    return hashlib.md5((gate.query + suite.read_text() + compared).encode()).hexdigest()


class GateMark(NamedTuple):
    mark: dt.datetime | None  # the gate last passed over the rows written up to here (None: never, as it is now)
    newest: dt.datetime | None  # the mart's newest processed_at: the mark a pass now records
    fingerprint: str  # what the mark holds for (_fingerprint)


def mart_gate_marks(con: duckdb.DuckDBPyConnection, gate: Gate) -> GateMark:
    """A stamped gate's mark in meta.tested_through and its mart's newest processed_at. The table and its rules:
    dbt/macros/tested_through.sql (dbt creates it at the start of a run)."""
    fingerprint, mark = _fingerprint(con, gate), None
    if con.execute(
        "select 1 from duckdb_tables() where schema_name = 'meta' and table_name = 'tested_through'"
    ).fetchone():
        mark = con.execute(
            "select max(tested_through) from meta.tested_through where scope = ? and fingerprint = ?",
            [f"gx_{gate.name}", fingerprint],
        ).fetchone()[0]
    newest = con.execute(f"select max(processed_at) from {'.'.join(gate.asset_key)}").fetchone()[0]
    return GateMark(mark, newest, fingerprint)


def run_mart_gate(settings: Settings, gate: Gate) -> tuple[bool, str, dict]:
    """One mart gate on the build database. A stamped gate profiles the groups written since it last passed and,
    when it passes, moves its mark to the mart's newest processed_at; a failure leaves the mark, so it fails again."""
    with duckdb.connect(str(settings.build_db), read_only=True, config=settings.duckdb_config) as con:
        marks = mart_gate_marks(con, gate) if gate.stamped else GateMark(None, None, "")
        passed, message, metadata = _gx(con, gate, {}, {}, marks.mark)
    if gate.stamped:
        metadata["profiled"] = f"groups written after {marks.mark}" if marks.mark else "every group"
    if passed and marks.newest is not None and marks.newest != marks.mark:
        scope = f"gx_{gate.name}"
        try:  # the gate passed either way; an unmoved mark only means the next run profiles more
            with duckdb.connect(str(settings.build_db), config=settings.duckdb_config) as con:
                con.execute("delete from meta.tested_through where scope = ?", [scope])
                con.execute(
                    "insert into meta.tested_through values (?, ?, ?)", [scope, marks.fingerprint, marks.newest]
                )
        except duckdb.Error as error:
            metadata["mark_not_moved"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return passed, message, metadata


def _mart_check(gate: Gate) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(gate.asset_key)),
        name=f"gx_{gate.name}",
        blocking=True,
        description=gate.description + f" (suite expectations/gx/expectations/{gate.name}.json)",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        passed, message, metadata = run_mart_gate(warehouse.settings(), gate)
        if not passed:
            context.log.error(message)
        if "mark_not_moved" in metadata:
            context.log.warning(f"gate {gate.name} passed; its mark was not moved: {metadata['mark_not_moved']}")
        return dg.AssetCheckResult(passed=passed, metadata={**metadata, "failure": message})

    return _check


_DBT_KEYS = {spec.key for spec in dbt_models.specs}
# a mart not built yet (or renamed) has no gate rather than a broken definition
gx_checks = [raw_gates] + [_mart_check(gate) for gate in MART_GATES if dg.AssetKey(list(gate.asset_key)) in _DBT_KEYS]
