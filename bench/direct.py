"""Fallback full build for TPC-H while the landing-files source does not exist: load the mapped raw Parquet with
`warehouse.raw.load_table` (the loader the ingest asset uses), then run the `build` job's assets minus ingest
(dbt build with its tests, GX gates, publish) in-process, exactly as the CLI does.

    python -m bench.direct MAPPED_DIR      (settings from the environment: DATA_DIR, AS_OF, DAGSTER_HOME)
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from dagster_project import cli
from dagster_project.settings import ensure_writable, load_settings
from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw


def main(mapped: str) -> int:
    started = time.perf_counter()
    settings = load_settings({**__import__("os").environ, "SOURCE": "simulator"})
    ensure_writable(settings)
    cli.configure_environment(settings)
    for suffix in ("", ".wal"):
        Path(str(settings.build_db) + suffix).unlink(missing_ok=True)
    load_id = raw.new_load_id()
    with duckdb.connect(str(settings.build_db)) as con:
        raw.ensure_schema(con)
        for name, table in RAW_TABLES.items():
            data = pq.read_table(Path(mapped) / f"{name}.parquet")
            raw.load_table(con, table, data, dt.date(1900, 1, 1), settings.as_of, load_id, "files")
        raw.write_run_context(con, dt.date(1900, 1, 1), settings.as_of, "files")
    print(f"direct: raw loaded in {time.perf_counter() - started:.1f}s", flush=True)
    cli.ensure_manifest()
    import dagster as dg
    from dagster import DagsterInstance

    from dagster_project.definitions import defs

    job = dg.define_asset_job(
        "bench_direct",
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups("raw"),
        executor_def=dg.in_process_executor,
    )
    merged = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    with DagsterInstance.get() as instance:
        result = merged.resolve_job_def("bench_direct").execute_in_process(instance=instance, raise_on_error=False)
    print(f"direct: done in {time.perf_counter() - started:.1f}s, success={result.success}", flush=True)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
