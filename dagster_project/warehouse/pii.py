"""The PII rule: what counts as an e-mail address or a phone number in published text, and the masking of it.

One home for the patterns: the publish masks them in every string column of the marts it writes (publish.py),
and tests/test_pii.py scans the serving file with the same patterns. Raw keeps contact data (raw.customers.phone,
email) for the CRM; the marts never carry it, but a shop's free text can (a phone typed into city, an e-mail as a
campaign code, a style or factory name): masked there, the row kept. A key column (`*_id`, `sku`) is never
rewritten: masking it would merge or break keys, so a match there stops the publish with one line naming it.
"""

from __future__ import annotations

import duckdb

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# a mainland mobile (11 digits from 13x-19x, +86 optional) standing alone, or any number in international form
PHONE = r"(^|[^0-9])(\+?86[ -]?)?1[3-9][0-9]{9}([^0-9]|$)|\+[0-9][0-9 ()-]{8,}[0-9]"
ANY = f"{EMAIL}|{PHONE}"
EMAIL_MASK = "[email removed]"
PHONE_MASK = "[phone removed]"


class PiiError(ValueError):
    """PII in a key column of a published table; the message names the column."""


def _is_key(column: str) -> bool:
    return column.endswith("_id") or column == "sku"


def string_columns(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every VARCHAR column of `tables` ("schema.table") of the current database."""
    return con.execute(
        """
        select schema_name, table_name, column_name from duckdb_columns()
        where database_name = current_database() and schema_name || '.' || table_name in ? and data_type = 'VARCHAR'
            and not internal
        order by all
        """,
        [tables],
    ).fetchall()


def _matches(column: str) -> str:
    """SQL: `column` holds an e-mail address or a phone number (one pattern: half the time of two)."""
    return f"regexp_matches({column}, '{ANY}')"


def mask(con: duckdb.DuckDBPyConnection, tables: dict[str, tuple[str, list] | None]) -> dict[str, int]:
    """Mask e-mail addresses and phone numbers in every string column of `tables` ({"schema.table": None for every
    row, or (SQL condition, its parameters) for some}), in place; return {"schema.table.column": rows masked} for
    the columns that had any. Raises PiiError for a key column. One scan per table finds the columns with a
    match; only those are updated."""
    by_table: dict[str, list[str]] = {}
    for schema, table, column in string_columns(con, sorted(tables)):
        by_table.setdefault(f"{schema}.{table}", []).append(column)
    masked: dict[str, int] = {}
    for table, columns in by_table.items():
        where, params = tables[table] or ("true", [])
        quoted = ['"' + column.replace('"', '""') + '"' for column in columns]
        counts = con.execute(
            f"select {', '.join(f'count(*) filter (where {_matches(q)})' for q in quoted)} from {table} where {where}",
            params,
        ).fetchone()
        for column, q, count in zip(columns, quoted, counts, strict=True):
            if not count:
                continue
            name = f"{table}.{column}"
            if _is_key(column):
                example = con.execute(
                    f"select min({q}) from {table} where {where} and {_matches(q)}", params
                ).fetchone()[0]
                raise PiiError(
                    f"{name}: {count} key value(s) look like an e-mail address or phone number "
                    f"(e.g. {example!r}): keys are never masked; give those rows another id at the source"
                )
            # the phone's neighbours (the characters either side its pattern needs) are put back (\1, \3); a match
            # uses up the neighbour it shares with the next phone ('…5678/1391…'): a second pass takes every other one
            value = f"regexp_replace({q}, '{EMAIL}', '{EMAIL_MASK}', 'g')"
            for _ in range(2):
                value = f"regexp_replace({value}, '{PHONE}', '\\1{PHONE_MASK}\\3', 'g')"
            con.execute(f"update {table} set {q} = {value} where {where} and {_matches(q)}", params)
            masked[name] = count
    return masked
