"""dbt source freshness (`make freshness`) on the build database: fresh after a build, stale when the newest load
is older than the source's error_after (dbt/models/staging/shop/_shop__sources.yml)."""

from __future__ import annotations

import shutil

import duckdb

from tests.conftest import run_dbt


def test_source_freshness_passes_after_a_build_and_errors_when_the_last_load_is_old(warehouse, tmp_path):
    build_db = tmp_path / "build.duckdb"
    shutil.copy(warehouse.build_db, build_db)
    out = run_dbt(build_db, tmp_path, "source", "freshness")
    assert "PASS freshness of warehouse_meta.load_history" in out, out[-2000:]
    with duckdb.connect(str(build_db)) as con:
        con.execute("update meta.load_history set loaded_at = loaded_at - interval 4 day")
    out = run_dbt(build_db, tmp_path, "source", "freshness", succeeds=False)
    assert "ERROR STALE freshness of warehouse_meta.load_history" in out, out[-2000:]
