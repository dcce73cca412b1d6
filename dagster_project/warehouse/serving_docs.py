"""What a BI user reads in the serving file about its marts: the dbt descriptions as table and column comments, the
shop's currency on every money column, meta.shop (currency, time zone), and display.<mart> views with the scores,
rates and averages of the marts people read rounded for showing.

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

# A money column is a DECIMAL: the marts keep amounts of money (and only those) as DECIMAL(p, s); rates, shares,
# scores and counts are DOUBLE or integers. So a DECIMAL column's comment names the currency; a new DECIMAL column
# that is not money must change this rule.
MONEY_TYPE = re.compile(r"DECIMAL\(\d+,\s*\d+\)")


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
    """The comments of the marts and their columns, meta.shop, and the display views."""
    write_comments(con, docs.marts, docs.currency)
    write_shop(con, docs.currency, docs.time_zone)
    write_display_views(con)


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
    con.execute("comment on column meta.shop.currency is 'ISO 4217 code of every money column (the DECIMAL ones).'")
    con.execute("comment on column meta.shop.time_zone is 'IANA time zone of every day and timestamp (SHOP_TZ).'")
    for table, text in META_COMMENTS.items():
        if con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name || '.' || table_name = ?",
            [table],
        ).fetchone()[0]:
            con.execute(f"comment on table {table} is {_literal(text)}")


# The marts people read (dashboards, lists): every mart_*; the fct_ and dim_ tables are for analysts' joins. Each gets
# a view display.<mart> with its DOUBLE columns rounded for showing; marts.<mart> keeps full precision (the tests
# and any sum over rows reconcile on it). A view, not a copy: it costs no space and is never stale.
DISPLAY_SCHEMA = "display"
DISPLAY_PREFIX = "mart_"


def display_decimals(column: str) -> int:
    """Decimals a DOUBLE column of a display view keeps, by its name: parts per million whole; scores (0..100, or
    1..5 for R/F/M), days and order counts to a tenth; everything else is a rate or share (0..1): to a tenth of a
    percentage point."""
    if column.endswith("ppm"):
        return 0
    if "score" in column or "days" in column.split("_") or column == "avg_frequency":
        return 1
    return 3


def write_display_views(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> int:
    """Create display.<mart> for every mart_* table of `schema` (dropping views of marts gone), its comment and
    its columns' comments those of the mart, a rounded column's saying so. A view whose columns and comments are
    already so is kept (a comment on a view's column costs as much as re-binding the view). Returns how many views
    were (re)created."""
    con.execute(f"create schema if not exists {DISPLAY_SCHEMA}")
    database = con.execute("select current_database()").fetchone()[0]

    def columns_of(schema_name: str) -> dict[str, list[tuple[str, str, str | None]]]:
        found: dict[str, list[tuple[str, str, str | None]]] = {}
        for table, column, data_type, comment in con.execute(
            "select table_name, column_name, data_type, comment from duckdb_columns() "
            "where database_name = ? and schema_name = ? order by table_name, column_index",
            [database, schema_name],
        ).fetchall():
            found.setdefault(table, []).append((column, data_type, comment))
        return found

    comments = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where database_name = ? and schema_name = ?",
            [database, schema],
        ).fetchall()
    )
    views = dict(
        con.execute(
            "select view_name, comment from duckdb_views() where database_name = ? and schema_name = ?",
            [database, DISPLAY_SCHEMA],
        ).fetchall()
    )
    marts = {table: columns for table, columns in columns_of(schema).items() if table.startswith(DISPLAY_PREFIX)}
    for view in sorted(set(views) - set(marts)):
        con.execute(f"drop view {DISPLAY_SCHEMA}.{quote_identifier(view)}")
    have = columns_of(DISPLAY_SCHEMA)
    made = 0
    for mart, columns in marts.items():
        view, source = (f"{quote_identifier(s)}.{quote_identifier(mart)}" for s in (DISPLAY_SCHEMA, schema))
        rounded = {column: display_decimals(column) for column, data_type, _ in columns if data_type == "DOUBLE"}
        wanted = [
            (column, data_type, _rounded_comment(text, rounded[column]) if column in rounded else text)
            for column, data_type, text in columns
        ]
        note = f"{schema}.{mart} for showing: scores, rates and averages rounded."
        comment = f"{comments[mart]} {note}" if comments.get(mart) else note
        if have.get(mart) == wanted and views.get(mart) == comment:
            continue
        replace = ", ".join(f"round({quote_identifier(c)}, {n}) as {quote_identifier(c)}" for c, n in rounded.items())
        select = f"select * replace ({replace})" if replace else "select *"
        con.execute(f"create or replace view {view} as {select} from {source}")
        con.execute(f"comment on view {view} is {_literal(comment)}")
        for column, _, text in wanted:
            if text:
                con.execute(f"comment on column {view}.{quote_identifier(column)} is {_literal(text)}")
        made += 1
    return made


def _rounded_comment(text: str | None, places: int) -> str:
    return f"{text or ''} Rounded to {places} decimal{'' if places == 1 else 's'}.".strip()
