"""The daily partitions every raw asset shares (one partition = one day of source data)."""

import dagster as dg

from dagster_project.settings import PARTITIONS_START

daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START.isoformat())
