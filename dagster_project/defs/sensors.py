"""A sensor that starts job `daily` when new files land in LANDING_DIR (cursor: the checksums already seen).

It reads only the landing folder (never the build DB, which a running build holds), so it cannot block a run.
A new or corrected file asks for the partition days it covers: late files reload their own, earlier, days.
"""

import datetime as dt
import json

import dagster as dg
import duckdb

from dagster_project.defs.jobs import daily_job
from dagster_project.settings import SettingsError, load_settings
from dagster_project.sources import files


def new_file_request(cursor: str | None) -> tuple[dg.RunRequest | dg.SkipReason, str]:
    """(what to do, new cursor) for the landing folder as it is now; a plain function so tests can call it."""
    settings = load_settings()
    seen = set(json.loads(cursor)) if cursor else set()
    if not settings.landing_dir.is_dir():
        return dg.SkipReason(f"LANDING_DIR={settings.landing_dir} does not exist"), cursor or "[]"
    try:
        landed = files.scan(settings.landing_dir)
    except SettingsError as error:
        return dg.SkipReason(str(error)), cursor or "[]"
    new = [f for f in landed if f.checksum not in seen]
    if not new:
        return dg.SkipReason("no new files"), cursor or "[]"
    try:
        with duckdb.connect() as con:
            days = files.file_days(
                con, files.split_duplicates(new)[0], dt.date.today(), settings.shop_tz, settings.partitions_start
            )
    except SettingsError as error:  # e.g. rows before the first partition: say so, retry when the file changes
        return dg.SkipReason(str(error)), cursor or "[]"
    checksums = sorted(seen | {f.checksum for f in landed})
    if not days:
        return dg.SkipReason(f"{len(new)} new file(s) with no rows"), json.dumps(checksums)
    first, last = min(days).isoformat(), max(days).isoformat()
    request = dg.RunRequest(
        run_key="landing-" + "-".join(sorted(f.checksum[:12] for f in new))[:200],
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
            "landing/new_files": ", ".join(f.ref for f in new)[:500],
        },
    )
    return request, json.dumps(checksums)


@dg.sensor(
    job=daily_job,
    name="landing_files_sensor",
    minimum_interval_seconds=60,
    description="Starts a run for the partition days new or corrected files in LANDING_DIR cover.",
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def landing_files_sensor(context: dg.SensorEvaluationContext):
    result, cursor = new_file_request(context.cursor)
    context.update_cursor(cursor)
    return result
