"""No raw email address or phone number in any published column: every string column of the serving file and
of its Parquet copies is scanned in SQL, with the rule the publish masks by (dagster_project/warehouse/pii.py)."""

from __future__ import annotations

from dagster_project.warehouse.pii import EMAIL, PHONE


def test_no_email_or_phone_in_any_published_string_column(warehouse):
    columns = warehouse.query(
        """
        select table_schema, table_name, column_name from information_schema.columns
        where data_type = 'VARCHAR' and table_schema <> 'information_schema'
        order by all
        """
    )
    assert len(columns) > 5
    hits = []
    for schema, table, column in columns:
        found = warehouse.query(
            f'select "{column}" from {schema}.{table} '
            f"where regexp_matches(\"{column}\", '{EMAIL}') or regexp_matches(\"{column}\", '{PHONE}') limit 3"
        )
        if found:
            hits.append((f"{schema}.{table}.{column}", [r[0] for r in found]))
    assert hits == []
    # the patterns do catch the raw values the build database holds, so an empty scan means something
    assert warehouse.scalar(f"select count(*) from raw.customers where regexp_matches(email, '{EMAIL}')", db="build")
    assert warehouse.scalar(f"select count(*) from raw.customers where regexp_matches(phone, '{PHONE}')", db="build")
