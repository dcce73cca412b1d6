"""The publish asset: downstream of every mart and every blocking check, so it runs only on a clean audit."""

import dagster as dg

from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.logging import progress
from dagster_project.defs.resources import WarehouseResource
from dagster_project.warehouse import publish as publishing
from dagster_project.warehouse import serving_docs

MART_KEYS = [spec.key for spec in dbt_models.specs if spec.group_name == "marts"]


@dg.asset(
    key=["serving", "warehouse"],
    deps=MART_KEYS,
    group_name="serving",
    kinds={"duckdb", "parquet"},
    description="data/serving/warehouse.duckdb (+ parquet/): the marts BI tools read, swapped in atomically.",
)
def serving_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    docs = serving_docs.ServingDocs(
        serving_docs.mart_descriptions(dbt_project.manifest_path), settings.shop_currency, settings.shop_tz
    )
    result = publishing.publish(
        settings.build_db,
        settings.serving_db,
        context.run_id,
        settings.as_of,
        settings.source,
        settings.duckdb_config,
        docs=docs,
    )
    rewritten = {name: change for name, change in result.changes.items() if change.how != "unchanged"}
    progress(
        context.log,
        f"published {len(result.row_counts)} marts ({len(rewritten)} re-written) in {result.timings.get('total_s')}s",
    )
    if result.masked:
        context.log.warning(
            "publish: e-mail addresses / phone numbers masked in "
            + ", ".join(f"{column} ({rows} rows)" for column, rows in result.masked.items())
        )
    context.log.info(
        f"publish: {result.timings.get('total_s')}s ({result.timings}); re-written: "
        + (
            ", ".join(f"{name} {c.how} {c.rewritten}/{c.partitions} ({c.rows} rows)" for name, c in rewritten.items())
            or "nothing"
        )
    )
    return dg.MaterializeResult(
        metadata={
            "publish_id": result.publish_id,
            "path": dg.MetadataValue.path(str(result.serving_db)),
            **{f"rows {name}": count for name, count in result.row_counts.items()},
            **{f"pii masked {column}": rows for column, rows in result.masked.items()},
            **{
                f"re-written partitions {name}": f"{c.rewritten} of {c.partitions} ({c.rows} rows)"
                for name, c in rewritten.items()
            },
        }
    )
