"""What every data loader of the report shares: the serving file, read-only, and JSON out.

The loaders run at build time (`make report`), so the built site holds the figures of the serving file it was
built from and queries nothing when it is opened. SERVING_DB names the file (`make report` sets it from
DATA_DIR); without it the default data folder's file is read.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import sys
from pathlib import Path

import duckdb
import yaml

REPO = Path(__file__).resolve().parents[3]
DEFAULT_SERVING_DB = REPO / "data" / "serving" / "warehouse.duckdb"


def serving_db() -> Path:
    path = Path(os.environ.get("SERVING_DB") or DEFAULT_SERVING_DB)
    if not path.is_file():
        sys.exit(f"report: serving file not found: {path} (run `make build` first, or set DATA_DIR)")
    return path


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(serving_db()), read_only=True)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """The query's rows as dicts (column name → value), for a page's FileAttachment(...).json()."""
    try:
        cursor = con.execute(sql, params or [])
    except duckdb.Error as error:
        sys.exit(f"report: {Path(sys.argv[0]).name}: query failed: {str(error).splitlines()[0]}\n{sql.strip()}")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def dbt_var(name: str):
    """A dbt var as the build used it: DBT_VARS (JSON) over dbt/dbt_project.yml, the same rule as the build's."""
    overrides = json.loads(os.environ.get("DBT_VARS") or "{}")
    if name in overrides:
        return overrides[name]
    project = yaml.safe_load((REPO / "dbt" / "dbt_project.yml").read_text(encoding="utf-8"))
    return project["vars"][name]


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"report: cannot write {type(value).__name__} as JSON: {value!r}")


def emit(payload: dict) -> None:
    json.dump(payload, sys.stdout, default=_plain, separators=(",", ":"))
