"""Raw assets: one per raw-contract table, daily-partitioned, loaded idempotently into the build database.

A thin wrapper: the source (sources/registry.py) makes the rows, warehouse/raw.py loads them. A range of
partitions runs as one run (single-run backfill), so a 730-day history is one pass, not 730 runs.
"""

import datetime as dt
import time

import dagster as dg
import duckdb

from dagster_project.defs.partitions import daily_partitions
from dagster_project.defs.resources import WarehouseResource
from dagster_project.sources import registry
from dagster_project.sources.contract import RAW_TABLES, TABLE_NAMES
from dagster_project.warehouse import raw

RUN_CONTEXT_KEY = dg.AssetKey(["raw", "run_context"])

raw_specs = [
    dg.AssetSpec(
        ["raw", name],
        description=RAW_TABLES[name].description,
        group_name="raw",
        kinds={"duckdb"},
    )
    for name in TABLE_NAMES
] + [
    dg.AssetSpec(
        RUN_CONTEXT_KEY,
        description="The as-of day of the latest ingest, read by dbt's as_of_date() macro.",
        group_name="raw",
        kinds={"duckdb"},
    )
]


@dg.multi_asset(
    specs=raw_specs,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
)
def raw_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings()
    window = context.partition_time_window
    first_day = window.start.date()
    last_day = (window.end - dt.timedelta(days=1)).date()
    tables = [key.path[-1] for key in context.selected_asset_keys if key != RUN_CONTEXT_KEY]
    started = time.perf_counter()
    load_id = raw.new_load_id()
    with duckdb.connect(str(settings.build_db)) as con:
        raw.ensure_schema(con)
        start = raw.world_start(con, settings.history_start)
        data = registry.fetch(settings, first_day, last_day, tables, start, progress=context.log.info)
        fetched = time.perf_counter() - started
        for name in tables:
            stats = raw.load_table(
                con, RAW_TABLES[name], data[name], first_day, last_day, load_id, settings.source
            )
            yield dg.MaterializeResult(
                asset_key=["raw", name],
                metadata={
                    "rows_in": stats.rows_in,
                    "rows_loaded": stats.rows_loaded,
                    "rows_quarantined": stats.rows_quarantined,
                    "source": settings.source,
                    "first_day": first_day.isoformat(),
                    "last_day": last_day.isoformat(),
                    "load_id": load_id,
                },
            )
        raw.write_run_context(con, last_day, settings.source)
    context.log.info(f"fetched in {fetched:.1f}s, loaded in {time.perf_counter() - started - fetched:.1f}s")
    if RUN_CONTEXT_KEY in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=RUN_CONTEXT_KEY, metadata={"as_of_date": last_day.isoformat()})
