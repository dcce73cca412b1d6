"""What `make daily` and `make backfill` check before they start Dagster, so that a run that cannot be right stops
with one line (a SettingsError: exit 2) instead of publishing something misleading:

- the build database is fed by one SOURCE (meta.build_source): simulator rows in a warehouse built from files, or
  the reverse, fail the gates of that run and of every later one;
- the run's days have data: no landing export for a day (SOURCE=files), or a day before the simulated world began,
  is not a day of zero sales. A day the user says really had no data is named in ALLOW_EMPTY_DAYS.

The raw asset checks the source again (warehouse/raw.record_build_source) for runs started from Dagster itself.
"""

from __future__ import annotations

import datetime as dt
import sys

import duckdb

from dagster_project.settings import Settings, SettingsError

SHOWN_DAYS = 5  # days a message lists before "and N more"


def check_run(settings: Settings, first_day: dt.date, last_day: dt.date, command: str) -> None:
    """Raise SettingsError (one line) when the run [first_day, last_day] of `command` (daily / backfill) must not
    start; print a note naming the days without data of a backfill that has data on other days."""
    recorded, world_start = _build_database_facts(settings)
    if recorded is not None and recorded != settings.source:
        from dagster_project.warehouse.raw import source_mismatch

        raise SettingsError(source_mismatch(settings.build_db, recorded, settings.source))
    days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    if settings.source == "files":
        from dagster_project.sources import files

        covered = files.days_covered(settings, first_day, last_day)
        where = f"no file in LANDING_DIR={settings.landing_dir} has data for"
    else:
        covered = {d for d in days if world_start is None or d >= world_start}
        where = f"the simulated world of {settings.build_db} begins on {world_start}, so there is no data for"
    missing = [d for d in days if d not in covered and d not in settings.allow_empty_days]
    if not missing:
        return
    if command == "backfill" and len(missing) < len(days):
        print(f"note: {where} {_days(missing)}: loaded as days without rows", file=sys.stderr, flush=True)
        return
    what = f"DATE={first_day}" if command == "daily" else f"FROM={first_day} TO={last_day}"
    raise SettingsError(
        f"{what}: {where} {_days(missing)}. No data is not zero sales: drop in the day's exports, or if the day "
        f"really had none, say so with ALLOW_EMPTY_DAYS={','.join(d.isoformat() for d in missing[:SHOWN_DAYS])}"
    )


def _days(days: list[dt.date]) -> str:
    shown = ", ".join(d.isoformat() for d in days[:SHOWN_DAYS])
    return shown + (f" and {len(days) - SHOWN_DAYS} more day(s)" if len(days) > SHOWN_DAYS else "")


def _build_database_facts(settings: Settings) -> tuple[str | None, dt.date | None]:
    """(the SOURCE the build database was built from, the simulated world's first day), None where unknown."""
    if not settings.build_db.exists():
        return None, None
    from dagster_project.warehouse.raw import recorded_source

    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        recorded = recorded_source(con)
        world = None
        if con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name = 'sim_world'"
        ).fetchone()[0]:
            world = con.execute("select min(start_date) from meta.sim_world").fetchone()[0]
    return recorded, world
