"""Ingest throughput without Dagster, by the ingest asset's own path: source → `raw.<table>` via
warehouse.raw.load_table.

    python -m bench.ingest sim SCALE AS_OF DB_PATH       (simulator rows in pyarrow)
    python -m bench.ingest files LANDING_DIR AS_OF DB_PATH   (TPC-H landing folder: staged in DuckDB, a group at a time)

Prints rows, fetch seconds (simulator generate / landing files staged) and load seconds as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

from dagster_project.settings import load_settings
from dagster_project.sources import files, registry
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw


def main(kind: str, arg: str, as_of: str, db_path: str) -> None:
    """What the raw asset does (registry.fetch_groups / registry.fetch, then raw.load_table), timed."""
    Path(db_path).unlink(missing_ok=True)
    env = {
        "AS_OF": as_of,
        "DATA_DIR": str(Path(db_path).parent / "data"),
        "DUCKDB_MEMORY_LIMIT": os.environ.get("DUCKDB_MEMORY_LIMIT", ""),  # the build's limit, as the raw asset has
    }
    if kind == "sim":
        settings = load_settings({**env, "SOURCE": "simulator", "SCALE": arg})
        first_day, last_day = settings.history_start, settings.as_of
    else:
        settings = load_settings({**env, "SOURCE": "files", "LANDING_DIR": arg})
        first_day, last_day = files.date_range(settings)
    fetch_s = load_s = 0.0
    rows = 0
    with duckdb.connect(db_path, config=settings.duckdb_config) as con:
        raw.ensure_schema(con)
        load_id = raw.new_load_id()
        for group in registry.fetch_groups(settings, RAW_TABLES):
            fetch_started = time.perf_counter()
            data = registry.fetch(settings, first_day, last_day, group, settings.history_start, con)
            load_started = time.perf_counter()
            fetch_s += load_started - fetch_started
            for name in raw.load_order(group):
                stats = raw.load_table(con, RAW_TABLES[name], data.pop(name), first_day, last_day, load_id, kind)
                rows += stats.rows_loaded
            load_s += time.perf_counter() - load_started
    Path(db_path).unlink(missing_ok=True)
    print(json.dumps({"rows": rows, "fetch_s": fetch_s, "load_s": load_s, "rows_per_s": rows / (fetch_s + load_s)}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
