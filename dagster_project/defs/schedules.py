"""The daily schedule: at SCHEDULE_TIME in SCHEDULE_TZ, run job `daily` for yesterday's partition.

`make daily DATE=...` runs the same job for the same one partition (cli.py), so what the schedule does can be
reproduced by hand.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.defs.jobs import daily_job
from dagster_project.settings import load_settings

_settings = load_settings()
_hour, _minute = (int(part) for part in _settings.schedule_time.split(":"))


def partition_for(scheduled_at: dt.datetime, timezone: str) -> str:
    """Yesterday, as seen in the schedule's time zone at the moment it fires."""
    local = scheduled_at.astimezone(ZoneInfo(timezone))
    return (local.date() - dt.timedelta(days=1)).isoformat()


@dg.schedule(
    cron_schedule=f"{_minute} {_hour} * * *",
    execution_timezone=_settings.schedule_tz,
    job=daily_job,
    name="daily_schedule",
    description=f"Every day at {_settings.schedule_time} {_settings.schedule_tz}: yesterday's partition.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = partition_for(context.scheduled_execution_time, _settings.schedule_tz)
    return dg.RunRequest(run_key=f"daily-{day}", partition_key=day)
