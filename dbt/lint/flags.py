"""sqlfluff only (make lint): dbt's `flags` for dbt/macros/staging_latest_copy.sql, which reads flags.EMPTY (a
`dbt build --empty` run); a normal run renders for linting."""

EMPTY = False
