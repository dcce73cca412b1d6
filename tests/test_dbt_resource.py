"""The dbt resource skips dagster-dbt's `dbt --version` subprocess and its in-process adapter (~5 s per dbt step):
the version it assumes must be the version of the dbt it runs. (That no run needs the adapter is shown by every
real build in this suite: dagster-dbt streams the events of `dbt build` without it.)"""

from __future__ import annotations

import re
import subprocess

from dagster_project.defs.dbt.assets import WarehouseDbtCliResource, dbt_resource


def test_the_assumed_dbt_version_is_the_version_of_the_dbt_it_runs():
    resource = dbt_resource()
    assert isinstance(resource, WarehouseDbtCliResource)
    printed = subprocess.run([resource.dbt_executable, "--version"], capture_output=True, text=True, check=True)
    core = re.search(r"(\d+\.\d+\.\d+)", printed.stdout + printed.stderr).group(1)
    assert str(resource._cli_version) == core
