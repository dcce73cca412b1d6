"""Every dbt model, seed and test as Dagster assets and checks: `dbt build` runs them in dependency order.

dbt tests with severity error become blocking asset checks (dagster-dbt), so a failing test stops publishing.
"""

import importlib.metadata
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from packaging import version

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.logging import progress
from dagster_project.settings import load_settings


class Translator(DagsterDbtTranslator):
    """Group assets by dbt layer (staging / intermediate / marts / seeds) so the graph reads top to bottom."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=Translator(
        settings=DagsterDbtTranslatorSettings(
            enable_asset_checks=True,
            enable_duplicate_source_asset_keys=True,  # every raw table is raw/extract
        )
    ),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    dbt_vars = load_settings().dbt_vars  # DBT_VARS: this run's overrides of dbt_project.yml vars
    # unit tests (fixed rows in, fixed rows out) run in CI (tests/test_dbt_unit_tests.py), not in every build
    args = ["build", "--exclude-resource-type", "unit_test", *(["--vars", dbt_vars] if dbt_vars else [])]
    started = time.perf_counter()
    checks = len(context.selected_asset_check_keys)
    progress(context.log, f"dbt build: {len(context.selected_asset_keys)} models and seeds, {checks} tests")
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    keep_partial_parse(invocation.target_path)
    statuses = Counter(node["status"] for node in invocation.get_artifact("run_results.json")["results"])
    done = ", ".join(f"{count} {status}" for status, count in statuses.most_common())
    progress(context.log, f"dbt build: {statuses.total()} nodes ({done}) in {time.perf_counter() - started:.1f}s")


def keep_partial_parse(run_target: Path) -> None:
    """dagster-dbt seeds each run's own target folder with dbt/target/partial_parse.msgpack. dbt re-parses the
    whole project (~4 s) when that file was written under another profile (another build database path, as in
    the tests' isolated DATA_DIRs), so hand this run's file on: the next run with the same settings skips it."""
    produced = run_target / "partial_parse.msgpack"
    if produced.exists():
        shared = dbt_project.project_dir / "target" / "partial_parse.msgpack"
        staged = shared.with_name(f".partial_parse.{os.getpid()}.msgpack")
        shutil.copyfile(produced, staged)
        os.replace(staged, shared)
    prune_run_targets(run_target.parent)


KEPT_RUN_TARGETS = 10  # dagster-dbt writes one target folder per run (manifest, run_results; ~10 MB at sim-1)


def prune_run_targets(target_root: Path, keep: int = KEPT_RUN_TARGETS, min_age_s: float = 3600) -> None:
    """Keep the newest `keep` per-run dbt target folders (for debugging a recent run); delete older ones that are
    at least an hour old (never a folder a concurrent run may still be writing)."""
    runs = sorted(target_root.glob("dbt_models-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        if time.time() - old.stat().st_mtime >= min_age_s:
            shutil.rmtree(old, ignore_errors=True)


class WarehouseDbtCliResource(DbtCliResource):
    """dagster-dbt's `DbtCliResource` without two start-up steps this project never uses, ~5 s of every dbt step
    (py-spy, docs/bench-log.md): it ran `dbt --version` in a subprocess (~2.7 s of dbt imports) to learn the version
    of the dbt it is about to run, and built an in-process read-only dbt adapter (~2 s) that only serves
    `fetch_row_counts()` / `fetch_column_metadata()`. The dbt here is always the venv's pinned dbt-core, so its
    version is the installed package's; without those two calls no adapter is needed. (Overrides of private
    dagster-dbt methods, pinned at 0.29.27: if a later version renames them, the overrides go unused and dbt
    steps are ~5 s slower, nothing breaks.)"""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    # the dbt of this interpreter's venv, whatever PATH says (dagster dev, tests, cron)
    return WarehouseDbtCliResource(
        project_dir=dbt_project,  # type: ignore[arg-type]  # a DbtProject is accepted (dagster-dbt's validator)
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )
