"""Jobs: `build` (everything: ingest → dbt → checks → publish), run in-process (one step costs 3–4 s in a
subprocess; our steps share one DuckDB file anyway)."""

import dagster as dg

build_job = dg.define_asset_job(
    "build",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Pull raw data for the partition range, build every dbt model and test, gate, publish.",
)
