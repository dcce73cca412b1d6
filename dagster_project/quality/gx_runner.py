"""Great Expectations 1.x, called directly (dagster-ge is stale), over dataframes.

GX's SQL datasource is broken on DuckDB in this version, so a gate is: a SQL query that selects only the columns
(or aggregates) its suite needs → a pandas dataframe → the gate's committed checkpoint, which validates it; on a
failure the Data Docs are rebuilt so they show it. Suites, validation definitions and checkpoints live as JSON
under expectations/gx/.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dagster_project.quality import offline_docs
from dagster_project.settings import REPO_ROOT

GX_ROOT = REPO_ROOT / "expectations"
DATASOURCE = "warehouse"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    unexpected_count: int | None
    samples: list[Any]

    def __str__(self) -> str:
        where = f" on {self.column}" if self.column else ""
        count = f": {self.unexpected_count} failing" if self.unexpected_count is not None else ""
        samples = f", e.g. {self.samples[:5]}" if self.samples else ""
        return f"{self.expectation}{where}{count}{samples}"


@dataclass(frozen=True)
class GateResult:
    gate: str
    success: bool
    evaluated: int
    failures: list[Failure] = field(default_factory=list)

    def message(self) -> str:
        if self.success:
            return f"gate {self.gate}: {self.evaluated} expectations passed"
        return f"gate {self.gate} failed: " + "; ".join(str(f) for f in self.failures)


def context(project_root: Path = GX_ROOT) -> Any:
    """The file-backed GX context of this repo (one per process: `context()` and `context(GX_ROOT)` are the same)."""
    return _context(project_root)


@cache
def _context(project_root: Path) -> Any:
    import great_expectations as gx

    # analytics and progress bars are switched off in expectations/gx/great_expectations.yml
    return gx.get_context(mode="file", project_root_dir=str(project_root))


def run_checkpoint(name: str, frame: Any, parameters: dict[str, Any] | None = None) -> GateResult:
    """Validate `frame` with checkpoint `name` (one per gate) and summarise what failed.

    `parameters` fill the suite's {"$PARAMETER": ...} placeholders (e.g. max_event_at, a datetime: GX compares
    it with the frame's datetime64 column, so pass datetime objects, never strings)."""
    ctx = context()
    checkpoint = ctx.checkpoints.get(name)
    result = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters or None)
    failures: list[Failure] = []
    evaluated = 0
    for validation in result.run_results.values():
        for outcome in validation.results:
            evaluated += 1
            if outcome.success:
                continue
            config = outcome.expectation_config
            details = outcome.result or {}
            failures.append(
                Failure(
                    expectation=config.type,
                    column=config.kwargs.get("column")
                    or config.kwargs.get("column_list")
                    or (
                        f"{config.kwargs['column_A']}, {config.kwargs['column_B']}"
                        if "column_A" in config.kwargs
                        else None
                    ),
                    unexpected_count=details.get("unexpected_count"),
                    samples=list(details.get("partial_unexpected_list") or [details.get("observed_value")])
                    if details
                    else [],
                )
            )
    if not result.success:
        build_data_docs()  # costs seconds, so only when there is a failure to show
    return GateResult(name, bool(result.success), evaluated, failures)


KEEP_VALIDATIONS = 20  # newest stored validation results kept per suite (each build adds one per gate)


def prune_validations(keep: int = KEEP_VALIDATIONS, project_root: Path = GX_ROOT) -> int:
    """Delete all but the newest `keep` validation results of each suite, and their Data Docs pages.

    GX stores a result per checkpoint run; a daily build would pile up ~10,000 a year and make every Data Docs
    rebuild slower. Returns the number of results removed."""
    import shutil

    uncommitted = project_root / "gx" / "uncommitted"
    removed = 0
    for suite in (uncommitted / "validations").glob("*"):
        runs = sorted((p for p in suite.glob("*/*") if p.is_dir()), key=lambda p: p.name, reverse=True)
        for run in runs[keep:]:
            shutil.rmtree(run, ignore_errors=True)
            pages = uncommitted / "data_docs" / "local_site" / "validations"
            shutil.rmtree(pages / run.relative_to(uncommitted / "validations"), ignore_errors=True)
            removed += 1
    return removed


def build_data_docs(project_root: Path = GX_ROOT, strict: bool = False) -> dict[str, str]:
    """Prune old validation results, then rebuild the local Data Docs site, offline (offline_docs); returns
    {site: url}. `strict` (`make docs`): a page still loading a URL is an error; else it is left as it is (a
    failed gate's report must not fail on its docs).

    Builds in other DATA_DIRs share this GX project: one process's prune would delete results another is
    rendering, so both steps hold an exclusive lock on gx/uncommitted/data_docs.lock (released on exit or crash)."""
    lock = project_root / "gx" / "uncommitted" / "data_docs.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        prune_validations(project_root=project_root)
        sites = context(project_root).build_data_docs()
        for name in sites:  # every page GX writes loads its CSS/JS from CDNs: point it at the vendored copies
            offline_docs.localize(data_docs_dir(name, project_root), strict=strict)
        return sites


def data_docs_dir(site: str = "local_site", project_root: Path = GX_ROOT) -> Path:
    """The folder of Data Docs site `site` (great_expectations.yml: data_docs_sites.<site>.store_backend), read
    from the file: loading the GX context takes seconds."""
    import yaml

    config = yaml.safe_load((project_root / "gx" / "great_expectations.yml").read_text(encoding="utf-8"))
    return project_root / "gx" / config["data_docs_sites"][site]["store_backend"]["base_directory"]


def ensure_checkpoint(name: str) -> None:
    """Create the dataframe asset, validation definition and checkpoint for suite `name` if missing.

    A new gate needs only its suite JSON (expectations/gx/expectations/<name>.json) and its query in gates.py.
    """
    import great_expectations as gx

    ctx = context()
    try:
        ctx.checkpoints.get(name)
        return
    except Exception:  # noqa: BLE001 - GX raises several types for "not found"
        pass
    suite = ctx.suites.get(name)
    source = (
        ctx.data_sources.add_or_update_pandas(DATASOURCE)
        if DATASOURCE not in ctx.data_sources.all()
        else (ctx.data_sources.get(DATASOURCE))
    )
    asset = next((a for a in source.assets if a.name == name), None) or source.add_dataframe_asset(name)
    batch = asset.batch_definitions[0] if asset.batch_definitions else asset.add_batch_definition_whole_dataframe(name)
    validation = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=name, data=batch, suite=suite))
    ctx.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[validation],
            actions=[],  # Data Docs are rebuilt once on a failure (run_checkpoint) and by `make docs`
            result_format="SUMMARY",
        )
    )
