"""The raw asset `raw/extract`: one daily partition = every raw-contract table for that day, loaded
idempotently (and quarantined row by row) into the build database.

A thin wrapper: the source (sources/registry.py) makes the rows, warehouse/raw.py loads them. A range of
partitions runs as one run (single-run backfill), so a 730-day history is one pass, not 730 runs.

Why one asset for the eleven tables rather than eleven assets: Dagster records one materialization event per
asset per partition. A 730-day full build with eleven partitioned assets wrote ~16,000 events into the SQLite
event log and spent ~190 s doing it (docs/bench-log.md); one asset writes 730. The per-table lineage stays visible
as the checks (`gx_raw_<table>`, `row_accounting_<table>`, ...) and as the dbt sources.
"""

import datetime as dt
import time

import dagster as dg
import duckdb

from dagster_project.defs.logging import progress
from dagster_project.defs.partitions import daily_partitions
from dagster_project.defs.resources import WarehouseResource
from dagster_project.sources import registry
from dagster_project.sources.contract import RAW_TABLES, TABLE_NAMES
from dagster_project.warehouse import raw

RAW_KEY = dg.AssetKey(["raw", "extract"])


@dg.asset(
    key=RAW_KEY,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="raw",
    kinds={"duckdb"},
    description="Every table of the raw contract (docs/raw-contract.md) for the partition's day(s), pulled "
    "from the configured source (SOURCE) into schema raw of the build database; rows breaking a row rule go "
    "to schema quarantine with the reason. Also records raw.run_context (the as-of day dbt reads).",
)
def raw_extract(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    window = context.partition_time_window
    first_day = window.start.date()
    last_day = (window.end - dt.timedelta(days=1)).date()
    started = time.perf_counter()
    load_id = raw.new_load_id()
    metadata: dict = {
        "source": settings.source,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "load_id": load_id,
    }
    with duckdb.connect(str(settings.build_db), config=settings.duckdb_config) as con:
        raw.ensure_schema(con)
        raw.record_build_source(con, settings.source, settings.build_db)
        start = raw.world_start(con, settings.history_start)
        fetched = 0.0
        totals = [0, 0, 0]
        for group in registry.fetch_groups(settings, TABLE_NAMES):
            fetch_started = time.perf_counter()
            data = registry.fetch(settings, first_day, last_day, group, start, con, progress=context.log.info)
            fetched += time.perf_counter() - fetch_started
            for name in raw.load_order(group):
                stats = raw.load_table(
                    con,
                    RAW_TABLES[name],
                    data.pop(name),
                    first_day,
                    last_day,
                    load_id,
                    settings.source,
                    shop_tz=settings.shop_tz,
                )
                metadata[f"rows {name}"] = stats.rows_loaded
                if stats.rows_quarantined:
                    metadata[f"quarantined {name}"] = stats.rows_quarantined
                for i, value in enumerate((stats.rows_in, stats.rows_loaded, stats.rows_quarantined)):
                    totals[i] += value
            del data
        raw.write_run_context(con, first_day, last_day, settings.source)
    metadata.update(rows_in=totals[0], rows_loaded=totals[1], rows_quarantined=totals[2])
    progress(
        context.log,
        f"{totals[1]:,} rows loaded, {totals[2]:,} quarantined; fetched in {fetched:.1f}s, "
        f"loaded in {time.perf_counter() - started - fetched:.1f}s",
    )
    return dg.MaterializeResult(metadata=metadata)
