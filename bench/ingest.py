"""Ingest throughput without Dagster, by the ingest asset's own path: source → `raw.<table>` via
warehouse.raw.load_table.

    python -m bench.ingest sim SCALE AS_OF DB_PATH       (simulator rows in pyarrow)
    python -m bench.ingest files LANDING_DIR AS_OF DB_PATH   (TPC-H landing folder: staged in DuckDB, a group at a time)

Prints rows, fetch seconds (simulator generate / landing files staged) and load seconds as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import duckdb

from dagster_project.settings import HISTORY_DAYS, load_settings
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw


def main(kind: str, arg: str, as_of: str, db_path: str) -> None:
    last_day = dt.date.fromisoformat(as_of)
    Path(db_path).unlink(missing_ok=True)
    started = time.perf_counter()
    if kind == "sim":
        from dagster_project.sources import simulator

        first_day = last_day - dt.timedelta(days=HISTORY_DAYS - 1)
        config = simulator.SimulatorConfig(scale=float(arg), start_date=first_day)
        data = simulator.generate(config, first_day, last_day, tables=list(RAW_TABLES))
        fetch_s = time.perf_counter() - started
        load_started = time.perf_counter()
        rows = 0
        with duckdb.connect(db_path) as con:
            raw.ensure_schema(con)
            load_id = raw.new_load_id()
            for name, table in RAW_TABLES.items():
                rows += raw.load_table(con, table, data[name], first_day, last_day, load_id, kind).rows_loaded
        load_s = time.perf_counter() - load_started
    else:
        from dagster_project.sources import files

        settings = load_settings(
            {"SOURCE": "files", "LANDING_DIR": arg, "AS_OF": as_of, "DATA_DIR": str(Path(db_path).parent / "data")}
        )
        first_day, last_day = files.date_range(settings)
        fetch_s = load_s = 0.0
        rows = 0
        with duckdb.connect(db_path) as con:
            raw.ensure_schema(con)
            load_id = raw.new_load_id()
            for group in files.fetch_groups(settings, RAW_TABLES):
                fetch_started = time.perf_counter()
                data = files.fetch(settings, first_day, last_day, group, con)
                load_started = time.perf_counter()
                fetch_s += load_started - fetch_started
                for name in raw.load_order(group):
                    stats = raw.load_table(con, RAW_TABLES[name], data[name], first_day, last_day, load_id, kind)
                    rows += stats.rows_loaded
                load_s += time.perf_counter() - load_started
    Path(db_path).unlink(missing_ok=True)
    print(json.dumps({"rows": rows, "fetch_s": fetch_s, "load_s": load_s, "rows_per_s": rows / (fetch_s + load_s)}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
