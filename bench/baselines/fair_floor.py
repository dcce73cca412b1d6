"""The fair floor: the same work as `cli build`, done by the simplest correct means, in one DuckDB process.

    python -m bench.baselines.fair_floor BUILD_DB DBT_RUN_FOLDER LANDING OUT_DIR

- ingest: each landing table `create table ... as select *, <lineage> from read_parquet(...)` (LANDING holds
  `<table>/*.parquet`, the TPC-H landing folder, or `<table>.parquet`, the raw export of a simulator build);
- dbt: the run's own compiled models (DBT_RUN_FOLDER/manifest.json `compiled_code`, what that `dbt build` ran), in
  dependency order, each `create table ... as <compiled select>`, on a copy of the build's raw, meta and seed
  tables (so the models read exactly the rows the pipeline's models read); no tests, no hooks (every hook of a
  full build is inside `is_incremental()`);
- publish: every mart into a new file and each to Parquet.

The floor's marts must equal the pipeline's (row count and an order-free hash of the rows, doubles rounded to 9
places, run-time stamps left out): a floor that computes something else is reported as such, not as a time.
Prints one JSON line: seconds per part, their sum, and the mart comparison.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import duckdb

from dagster_project.sources.contract import RAW_TABLES

# run-time stamps: differ between any two builds of the same rows
VOLATILE = ("processed_at", "_loaded_at", "loaded_at", "_load_id", "load_id", "published_at", "publish_id")
COPIED_SCHEMAS = ("raw", "meta")  # the models' inputs besides seeds


def ingest(landing: Path, db: Path) -> float:
    """Each raw table from its Parquet files with the loader's lineage columns computed in SQL."""
    started = time.perf_counter()
    with duckdb.connect(str(db)) as con:
        con.execute("set enable_progress_bar = false; create schema raw")
        for table in RAW_TABLES:
            folder, single = landing / table, landing / f"{table}.parquet"
            pattern = f"{folder}/*.parquet" if folder.is_dir() else str(single)
            if not folder.is_dir() and not single.exists():
                continue
            con.execute(
                f"create table raw.{table} as select *, filename as _source_file, now() as _ingested_at "
                f"from read_parquet('{pattern}', filename = true)"
            )
    return time.perf_counter() - started


def _models(manifest: dict) -> list[dict]:
    """The models of the run, in dependency order (dbt's own graph), with their compiled select."""
    nodes = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    order: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        for parent in manifest["parent_map"].get(key, []):
            if parent in nodes:
                visit(parent)
        order.append(key)

    for key in sorted(nodes):
        visit(key)
    missing = [k for k in order if not nodes[k].get("compiled_code")]
    if missing:
        raise SystemExit(f"fair floor: {len(missing)} models have no compiled_code in the manifest: {missing[:3]}")
    return [nodes[k] for k in order]


def dbt_chain(build_db: Path, manifest: dict, db: Path) -> float:
    """The compiled models on a copy of the build's inputs (raw, meta, seeds), one `create table as` each."""
    models = _models(manifest)
    seeds = [n for n in manifest["nodes"].values() if n["resource_type"] == "seed"]
    with duckdb.connect(str(db)) as con:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{build_db}' as pipeline (read_only)")
        inputs = [
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'pipeline'"
            ).fetchall()
            if schema in COPIED_SCHEMAS
        ] + [(n["schema"], n["alias"] or n["name"]) for n in seeds]
        for schema in sorted({s for s, _ in inputs} | {m["schema"] for m in models}):
            con.execute(f'create schema if not exists "{schema}"')
        for schema, name in inputs:
            con.execute(f'create table "{schema}"."{name}" as select * from pipeline."{schema}"."{name}"')
        con.execute("detach pipeline")
        started = time.perf_counter()
        for model in models:
            kind = "view" if model["config"]["materialized"] == "view" else "table"
            con.execute(f'create {kind} "{model["schema"]}"."{model["alias"]}" as {model["compiled_code"]}')
        return time.perf_counter() - started


def publish(db: Path, out: Path) -> float:
    """Every mart into a new DuckDB file and each to Parquet."""
    started = time.perf_counter()
    serving, parquet = out / "serving.duckdb", out / "parquet"
    parquet.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("set enable_progress_bar = false")
        query = "select table_name from duckdb_tables() where schema_name = 'marts'"
        marts = [t for (t,) in con.execute(query).fetchall()]
        con.execute(f"attach '{serving}' as serving")
        con.execute("create schema serving.marts")
        for mart in marts:
            con.execute(f"create table serving.marts.{mart} as select * from marts.{mart}")
            con.execute(f"copy marts.{mart} to '{parquet / mart}.parquet' (format parquet)")
    return time.perf_counter() - started


def fingerprints(db: Path) -> dict[str, list]:
    """Per mart: [rows, order-free hash of its rows] with doubles rounded and run-time stamps left out."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        columns: dict[str, list[str]] = {}
        for table, column, kind in con.execute(
            "select table_name, column_name, data_type from duckdb_columns() where schema_name = 'marts' "
            "and database_name = current_database() order by table_name, column_index"
        ).fetchall():
            if column in VOLATILE:
                continue
            expression = f'round("{column}", 9)' if kind in ("DOUBLE", "FLOAT") else f'"{column}"'
            columns.setdefault(table, []).append(expression)
        for table, expressions in columns.items():
            rows, digest = con.execute(
                f"select count(*), coalesce(sum(hash({', '.join(expressions)}))::varchar, '0') from marts.{table}"
            ).fetchone()
            out[table] = [rows, digest]
    return out


def main(build_db: str, run_folder: str, landing: str, out_dir: str) -> int:
    out = Path(out_dir)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    manifest = json.loads((Path(run_folder) / "manifest.json").read_text())
    # one file named like the build's (the compiled code names the database `warehouse`)
    chain_db = out / "warehouse.duckdb"
    result = {
        "ingest_s": ingest(Path(landing), out / "ingest.duckdb"),
        "dbt_s": dbt_chain(Path(build_db), manifest, chain_db),
    }
    result["publish_s"] = publish(chain_db, out / "publish")
    result["total_s"] = result["ingest_s"] + result["dbt_s"] + result["publish_s"]
    floor, pipeline = fingerprints(chain_db), fingerprints(Path(build_db))
    result["marts_compared"] = len(pipeline)
    result["mismatches"] = sorted(
        f"{mart}: pipeline {pipeline.get(mart)}, floor {floor.get(mart)}"
        for mart in set(floor) | set(pipeline)
        if floor.get(mart) != pipeline.get(mart)
    )
    (out / "ingest.duckdb").unlink(missing_ok=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
