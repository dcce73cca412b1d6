"""The gates alone, on an already built build database, run the way the build runs them: as Dagster asset
checks, executed in-process. First every dbt test (dagster-dbt runs `dbt build` for the tests only), then every
GX gate (dagster_project/defs/quality/checks.py: raw gates and mart gates). The tests of the incremental models
look at every row: their marks (dbt/macros/tested_through.sql) are cleared first, or after a passing build they
would look at none.

    python -m bench.gates          (settings from the environment: DATA_DIR, AS_OF, SOURCE, DAGSTER_HOME ...)

Prints {"dbt_test_s", "gx_s", "dbt_test_ok", "gx_ok", "checks"} as JSON; the harness times the whole process
(imports and Dagster start-up included, as a user would pay them).
"""

from __future__ import annotations

import json
import sys
import time

import duckdb

from dagster_project import cli
from dagster_project.settings import ensure_writable, load_settings


def main() -> int:
    settings = load_settings()
    ensure_writable(settings)
    cli.configure_environment(settings)
    cli.ensure_manifest()
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.defs.quality.checks import gx_checks

    gx_keys = {key for check in gx_checks for key in check.check_keys}
    all_keys = set(defs.resolve_asset_graph().asset_check_keys)
    dbt_keys = all_keys - gx_keys
    jobs = [
        dg.define_asset_job(
            f"bench_{name}", selection=dg.AssetSelection.checks(*keys), executor_def=dg.in_process_executor
        )
        for name, keys in (("dbt_tests", dbt_keys), ("gx_gates", gx_keys))
    ]
    merged = dg.Definitions.merge(defs, dg.Definitions(jobs=jobs))
    report: dict = {"checks": {"dbt": len(dbt_keys), "gx": len(gx_keys)}}
    with duckdb.connect(str(settings.build_db), config=settings.duckdb_config) as con:
        if con.execute(
            "select 1 from duckdb_tables() where schema_name = 'meta' and table_name = 'tested_through'"
        ).fetchone():
            con.execute("delete from meta.tested_through")
    with dg.DagsterInstance.get() as instance:
        for name in ("dbt_tests", "gx_gates"):
            started = time.perf_counter()
            result = merged.resolve_job_def(f"bench_{name}").execute_in_process(instance=instance, raise_on_error=False)
            evaluations = result.get_asset_check_evaluations()
            key = "dbt_test" if name == "dbt_tests" else "gx"
            report[f"{key}_s"] = time.perf_counter() - started
            report[f"{key}_ok"] = result.success and all(e.passed for e in evaluations)
            report[f"{key}_evaluated"] = len(evaluations)
            failed = [e.check_name for e in evaluations if not e.passed]
            if failed or not result.success:
                report[f"{key}_failed"] = failed[:20] or ["run failed"]
    print("\n" + json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
