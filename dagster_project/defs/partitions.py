"""The daily partitions every raw asset shares (one partition = one day of source data)."""

import dagster as dg

from dagster_project.settings import partitions_start

# PARTITIONS_START (settings.py), read from the environment when the definitions load
daily_partitions = dg.DailyPartitionsDefinition(start_date=partitions_start().isoformat())
