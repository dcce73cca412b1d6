"""Which source delivers the raw tables: one function the ingest assets call, whatever SOURCE says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import pyarrow as pa

from dagster_project.settings import Settings, SettingsError


def fetch(
    settings: Settings,
    first_day: dt.date,
    last_day: dt.date,
    tables: Iterable[str],
    world_start: dt.date,
    progress: Callable[[str], None] | None = None,
) -> dict[str, pa.Table]:
    """Rows of the partition days [first_day, last_day] for each requested raw table."""
    if settings.source == "simulator":
        from dagster_project.sources import simulator

        config = simulator.SimulatorConfig(
            seed=settings.seed, scale=settings.scale, start_date=world_start, dirty_rate=settings.dirty
        )
        return simulator.generate(config, first_day, last_day, tables=list(tables), progress=progress)
    if settings.source == "files":
        from dagster_project.sources import files

        return files.fetch(settings, first_day, last_day, tables, progress=progress)
    raise SettingsError(f"SOURCE={settings.source!r} is not implemented yet")
