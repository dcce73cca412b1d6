"""The few lines `make build` ends with: what was published, which checks passed, how long it took."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from dagster_project.settings import Settings


def print_summary(result: Any, settings: Settings, seconds: float, log: Path | None = None) -> int:
    """Print the build summary from a Dagster run result; return the process exit code."""
    evaluations = result.get_asset_check_evaluations()
    failed = [e for e in evaluations if not e.passed]
    lines = ["", "── build summary " + "─" * 60]
    if result.success and settings.serving_db.exists():
        con = duckdb.connect(str(settings.serving_db), read_only=True)
        try:
            publish_id, rows = con.execute(
                """
                select publish_id, list((table_name, row_count) order by table_name)
                from meta.publish_log
                where published_at = (select max(published_at) from meta.publish_log)
                group by publish_id
                """
            ).fetchone()
        finally:
            con.close()
        lines.append(f"published {len(rows)} marts in schema marts (publish id {publish_id}), rows:")
        lines += mart_lines(rows)
    lines += quarantine_lines(settings)
    lines.append(f"checks: {len(evaluations) - len(failed)} passed, {len(failed)} failed")
    for evaluation in failed[:20]:
        label = evaluation.asset_key.to_user_string() + " · " + evaluation.check_name
        detail = evaluation.metadata.get("failure") or evaluation.metadata.get("message")
        lines.append(f"  FAILED {label}" + (f": {detail.value}" if detail is not None else ""))
    if not result.success:
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                error = event.step_failure_data.error
                while error.cause is not None:  # the user-facing reason is the innermost cause
                    error = error.cause
                message = error.message.strip().splitlines()
                lines.append(f"  step {event.step_key} failed: {message[0] if message else ''}")
                # dbt's own error lines name the model / test and the reason
                lines += [f"    {line.strip()}" for line in message[1:] if _is_dbt_error(line)][:12]
    lines.append(f"wall time: {seconds:.1f} s")
    if log is not None:
        lines.append(f"log: {log} (dbt's per-node lines, every run event; -v or VERBOSE=1 prints them here)")
    if result.success:
        lines.append(f"output: {settings.serving_db} (+ {settings.serving_dir / 'parquet'}/)")
    else:
        lines.append(f"BUILD FAILED — nothing was published; {settings.serving_db} is unchanged")
    print("\n".join(lines), flush=True)
    return 0 if result.success else 1


def mart_lines(rows: list[tuple[str, int]], columns: int = 2) -> list[str]:
    """The marts and their row counts in `columns` columns, read top to bottom: the summary stays short as marts
    are added. Names without the schema (the header names it)."""
    names = [name.removeprefix("marts.") for name, _ in rows]
    counts = [f"{count:,}" for _, count in rows]
    width, digits = max(map(len, names)), max(map(len, counts))
    cells = [f"{name:<{width}} {count:>{digits}}" for name, count in zip(names, counts, strict=True)]
    height = -(-len(cells) // columns)
    return ["  " + "   ".join(cells[i::height]) for i in range(height)]


def quarantine_lines(settings: Settings) -> list[str]:
    """Rows of this build's latest loads that went to quarantine, per table (nothing is dropped silently)."""
    if not settings.build_db.exists():
        return []
    try:
        con = duckdb.connect(str(settings.build_db), read_only=True)
    except duckdb.Error:
        return []
    try:
        rows = con.execute(
            """
            select table_name, rows_in + coalesce(rows_set_aside, 0), rows_loaded,
                rows_quarantined + coalesce(rows_set_aside, 0)
            from meta.load_history
            qualify row_number() over (partition by table_name order by loaded_at desc) = 1
            order by table_name
            """
        ).fetchall()
        conflicts = con.execute(
            """
            select count(*), min(table_name || ' ' || key || ': kept ' || kept_source)
            from meta.key_conflicts
            where load_id in (select load_id from meta.load_history
                qualify row_number() over (partition by table_name order by loaded_at desc) = 1)
            """
        ).fetchone()
    except duckdb.Error:
        return []
    finally:
        con.close()
    # rows in and quarantined include the rows the source set aside before the loader (quarantine.file_rows)
    rows_in = sum(r[1] for r in rows)
    quarantined = [(name, q) for name, _, _, q in rows if q]
    line = f"loaded {sum(r[2] for r in rows):,} of {rows_in:,} rows; quarantined {sum(q for _, q in quarantined):,}"
    if quarantined:
        line += (
            " (" + ", ".join(f"{name} {q:,}" for name, q in quarantined) + f") → quarantine.* in {settings.build_db}"
        )
    lines = [line]
    if conflicts[0]:
        lines.append(
            f"key conflicts: {conflicts[0]:,} key(s) came more than once with different values, the later copy kept "
            f"(e.g. {conflicts[1]}) → meta.key_conflicts in {settings.build_db}"
        )
    return lines


def _is_dbt_error(line: str) -> bool:
    text = line.strip()
    return text.startswith(("Failure in", "Compilation Error", "Runtime Error", "Database Error", "|", "Got ")) or (
        " ERROR " in text or " FAIL " in text
    )
