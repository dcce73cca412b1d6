"""dbt's unit tests (the `unit_tests:` of dbt/models/**/*.yml: fixed rows in, the rule's rows out) run here, in CI,
and not in the pipeline's `dbt build`: their inputs never change, so a daily run would re-prove the same thing with
every run (~4 s, at any scale). dbt's own advice: https://docs.getdbt.com/docs/build/unit-tests."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import yaml

from dagster_project.warehouse import raw
from tests.conftest import run_dbt

REPO = Path(__file__).resolve().parent.parent


def _unit_tests() -> list[str]:
    names = []
    for path in sorted((REPO / "dbt" / "models").rglob("*.yml")):
        names += [test["name"] for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])]
    return names


def test_every_dbt_unit_test_runs_and_passes(tmp_path):
    names = _unit_tests()
    assert len(names) >= 10, names
    build_db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(build_db)) as con:
        raw.ensure_schema(con)
        raw.write_run_context(con, dt.date(2025, 6, 1), dt.date(2025, 6, 30), "simulator")
    # a unit test reads the columns of the relations its model refers to: build them empty first
    run_dbt(build_db, tmp_path, "build", "--empty", "--exclude-resource-type", "unit_test", "test")
    out = run_dbt(build_db, tmp_path, "test", "--select", "test_type:unit")
    for name in names:
        assert re.search(rf"PASS \S*{name}\b", out), f"{name} did not pass:\n{out[-3000:]}"
    assert re.search(r"Done\. PASS=\d+ WARN=0 ERROR=0 ", out), out[-3000:]
