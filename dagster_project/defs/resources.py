"""The one typed configuration object Dagster assets receive, built from the environment (settings.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from dagster_project.settings import Settings, load_settings


class WarehouseResource(dg.ConfigurableResource):
    """Where the warehouse lives and which source feeds it; defaults come from dagster_project.settings."""

    source: str
    as_of: str
    scale: float
    seed: int
    dirty: float
    data_dir: str
    landing_dir: str
    sim_start: str | None = None
    duckdb_memory_limit: str = "80%"
    shop_tz: str = "UTC"  # the loader converts offset timestamps to it: the run must see the CLI's SHOP_TZ
    shop_currency: str = "CNY"  # the publish states it in the serving file: the run must see the CLI's SHOP_CURRENCY

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(
            source=settings.source,
            as_of=settings.as_of.isoformat(),
            scale=settings.scale,
            seed=settings.seed,
            dirty=settings.dirty,
            data_dir=str(settings.data_dir),
            landing_dir=str(settings.landing_dir),
            sim_start=settings.sim_start.isoformat() if settings.sim_start else None,
            duckdb_memory_limit=settings.duckdb_memory_limit,
            shop_tz=settings.shop_tz,
            shop_currency=settings.shop_currency,
        )

    def settings(self) -> Settings:
        return Settings(
            source=self.source,
            as_of=dt.date.fromisoformat(self.as_of),
            scale=self.scale,
            seed=self.seed,
            dirty=self.dirty,
            data_dir=Path(self.data_dir),
            landing_dir=Path(self.landing_dir),
            sim_start=dt.date.fromisoformat(self.sim_start) if self.sim_start else None,
            duckdb_memory_limit=self.duckdb_memory_limit,
            shop_tz=self.shop_tz,
            shop_currency=self.shop_currency,
        )


def default_resource() -> WarehouseResource:
    return WarehouseResource.from_settings(load_settings())
