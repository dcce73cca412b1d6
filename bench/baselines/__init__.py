"""Hand-written baselines (DuckDB floor, pandas) computing what the pipeline computes, with the same rules."""

from pathlib import Path

import yaml

_VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt" / "dbt_project.yml").read_text())["vars"]
# the on-time window of fct_deliveries: not after promised + late days, not before promised - early days
ON_TIME_MAX_DAYS_LATE: int = _VARS["supply_on_time_max_days_late"]
ON_TIME_MAX_DAYS_EARLY: int = _VARS["supply_on_time_max_days_early"]
