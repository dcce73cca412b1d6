"""sqlfluff only (make lint): `model.name` for the macros that derive a staging model's raw table from its name
(dbt/macros/staging_latest_copy.sql); any stg_shop__<table> renders the same SQL shape for linting."""

name = "stg_shop__orders"
