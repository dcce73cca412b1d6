"""Everything Dagster loads: gathered from defs/, one concern per folder."""

import dagster as dg

from dagster_project.defs.dashboards.assets import dashboards
from dagster_project.defs.dbt.assets import dbt_models, dbt_resource
from dagster_project.defs.ingest.assets import raw_extract
from dagster_project.defs.jobs import build_job, daily_job
from dagster_project.defs.logging import concise_console
from dagster_project.defs.publish.assets import serving_warehouse
from dagster_project.defs.quality.checks import gx_checks
from dagster_project.defs.resources import default_resource
from dagster_project.defs.schedules import daily_schedule
from dagster_project.defs.sensors import landing_files_sensor

defs = dg.Definitions(
    assets=[raw_extract, dbt_models, serving_warehouse, *dashboards],
    asset_checks=gx_checks,
    jobs=[build_job, daily_job],
    schedules=[daily_schedule],
    sensors=[landing_files_sensor],
    loggers={"console": concise_console},
    resources={"warehouse": default_resource(), "dbt": dbt_resource()},
)
