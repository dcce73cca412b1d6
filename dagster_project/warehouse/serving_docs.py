"""What a BI user reads in the serving file about its marts: the dbt descriptions as table and column comments, the
shop's currency on every money column, and meta.shop (currency, time zone).

BI clients show comments next to tables and columns (DuckDB: duckdb_tables().comment, duckdb_columns().comment;
DBeaver, Metabase and Evidence read them there). The descriptions are written once, in the dbt YAML beside each
model (dbt/models/marts/**/_*.yml); the publish copies them from dbt's manifest into every serving file, so the
serving file and `make docs` say the same thing. tests/test_serving_docs.py checks that a DuckDB 1.x client sees
them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.warehouse.rules import quote_identifier

# A money column is a DECIMAL with two decimals: the marts keep amounts of money as DECIMAL(p, 2) and nothing else
# in that type (rates, shares and scores are DOUBLE), so its comment names the currency.
MONEY_TYPE = re.compile(r"DECIMAL\(\d+,\s*2\)")


@dataclass(frozen=True)
class MartDocs:
    description: str
    columns: dict[str, str] = field(default_factory=dict)  # column name -> description


@dataclass(frozen=True)
class ServingDocs:
    """What the publish writes into the serving file beside the marts (see write)."""

    marts: dict[str, MartDocs]  # by table name (mart_descriptions)
    currency: str  # ISO 4217, SHOP_CURRENCY
    time_zone: str  # IANA, SHOP_TZ


def write(con: duckdb.DuckDBPyConnection, docs: ServingDocs) -> None:
    """The comments of the marts and their columns, and meta.shop."""
    write_comments(con, docs.marts, docs.currency)
    write_shop(con, docs.currency, docs.time_zone)


def mart_descriptions(manifest_path: Path, schema: str = "marts") -> dict[str, MartDocs]:
    """The descriptions of the dbt models built into `schema`, by table name, from dbt's manifest.json."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    docs = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"].get("schema") != schema:
            continue
        columns = {name: _clean(column.get("description")) for name, column in node["columns"].items()}
        docs[node["alias"] or node["name"]] = MartDocs(
            _clean(node.get("description")), {name: text for name, text in columns.items() if text}
        )
    return docs


def _clean(text: str | None) -> str:
    """One line: YAML block descriptions keep their newlines, which BI tooltips show as they are."""
    return " ".join((text or "").split())


def money_comment(description: str, currency: str) -> str:
    return f"{description} Currency: {currency}." if description else f"Currency: {currency}."


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


def write_comments(
    con: duckdb.DuckDBPyConnection, docs: dict[str, MartDocs], currency: str, schema: str = "marts"
) -> int:
    """Set the comment of every table of `schema` and of its columns from `docs` (money columns: with `currency`);
    a table or column without a description loses any comment it had. Only comments that differ are written (the
    publish starts from a copy of the serving file, whose unchanged marts keep theirs). Returns how many changed."""
    database = con.execute("select current_database()").fetchone()[0]
    wanted: dict[tuple[str, str | None], str | None] = {}
    have: dict[tuple[str, str | None], str | None] = {}
    for table, comment in con.execute(
        "select table_name, comment from duckdb_tables() where database_name = ? and schema_name = ?",
        [database, schema],
    ).fetchall():
        have[(table, None)] = comment
        wanted[(table, None)] = (docs[table].description if table in docs else "") or None
    for table, column, data_type, comment in con.execute(
        """
        select table_name, column_name, data_type, comment from duckdb_columns()
        where database_name = ? and schema_name = ? and table_name in (
            select table_name from duckdb_tables() where database_name = ? and schema_name = ?
        )
        """,
        [database, schema, database, schema],
    ).fetchall():
        text = docs[table].columns.get(column, "") if table in docs else ""
        have[(table, column)] = comment
        wanted[(table, column)] = (money_comment(text, currency) if MONEY_TYPE.fullmatch(data_type) else text) or None
    changed = 0
    for (table, column), text in wanted.items():
        if (have[(table, column)] or None) == text:
            continue
        target = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        if column is None:
            con.execute(f"comment on table {target} is {_literal(text)}")
        else:
            con.execute(f"comment on column {target}.{quote_identifier(column)} is {_literal(text)}")
        changed += 1
    return changed


META_COMMENTS = {
    "meta.publish_log": "Every publish of this file, one row per mart: which build (publish_id, as_of_date) a "
    "reader sees, and its row counts.",
    "meta.parquet_layout": "How each large mart's Parquet files are named (the publish's own bookkeeping).",
    "meta.shop": "The shop's units: the currency of every money column and the time zone of its days.",
}


def write_shop(con: duckdb.DuckDBPyConnection, currency: str, time_zone: str) -> None:
    """meta.shop, one row: the currency (ISO 4217) of every money column and the shop's time zone (IANA); and the
    comments of the meta tables."""
    con.execute("create schema if not exists meta")
    con.execute(
        "create or replace table meta.shop as select ?::varchar as currency, ?::varchar as time_zone",
        [currency, time_zone],
    )
    con.execute("comment on column meta.shop.currency is 'ISO 4217 code of every money column (DECIMAL(p, 2)).'")
    con.execute("comment on column meta.shop.time_zone is 'IANA time zone of every day and timestamp (SHOP_TZ).'")
    for table, text in META_COMMENTS.items():
        if con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name || '.' || table_name = ?",
            [table],
        ).fetchone()[0]:
            con.execute(f"comment on table {table} is {_literal(text)}")
