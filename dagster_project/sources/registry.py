"""Which source delivers the raw tables: one function the ingest assets call, whatever SOURCE says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import duckdb

from dagster_project.settings import Settings, SettingsError
from dagster_project.warehouse.raw import Rows


def fetch_groups(settings: Settings, tables: Iterable[str]) -> list[list[str]]:
    """The tables in the groups one fetch should deliver together, in load order (dimensions first).

    The simulator makes all tables in one pass (orders and their items come from the same draws). The landing
    folder is fetched a table at a time, so a run holds one table's rows in memory rather than the whole load
    (TPC-H SF1: 9 GB for all tables at once); the Online Retail export, which makes four tables from one file,
    is one group.
    """
    from dagster_project.warehouse.raw import load_order

    if settings.source == "files":
        from dagster_project.sources import files

        return files.fetch_groups(settings, tables)
    return [load_order(tables)]


def fetch(
    settings: Settings,
    first_day: dt.date,
    last_day: dt.date,
    tables: Iterable[str],
    world_start: dt.date,
    con: duckdb.DuckDBPyConnection,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Rows]:
    """Rows of the partition days [first_day, last_day] for each requested raw table, for raw.load_table. `con`:
    the build database connection of the caller, where the landing-file source stages its rows (temp tables)
    and keeps its bookkeeping."""
    if settings.source == "simulator":
        from dagster_project.sources import simulator

        config = simulator.SimulatorConfig(
            seed=settings.seed, scale=settings.scale, start_date=world_start, dirty_rate=settings.dirty
        )
        return simulator.generate(config, first_day, last_day, tables=list(tables), progress=progress)
    if settings.source == "files":
        from dagster_project.sources import files

        return files.fetch(settings, first_day, last_day, tables, con, progress=progress)
    raise SettingsError(f"SOURCE={settings.source!r} is not implemented yet")
