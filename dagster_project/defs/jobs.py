"""Jobs: `build` (everything: ingest → dbt → checks → publish), run in-process (one step costs 3–4 s in a
subprocess; our steps share one DuckDB file anyway)."""

import dagster as dg

from dagster_project.defs.partitions import daily_partitions

build_job = dg.define_asset_job(
    "build",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Pull raw data for the partition range, build every dbt model and test, gate, publish.",
)

daily_job = dg.define_asset_job(
    "daily",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    executor_def=dg.in_process_executor,
    description="One day (or the days new landing files cover) on top of the existing build DB: ingest those "
    "partitions, dbt build (incremental models take only the new days), checks, publish.",
)
