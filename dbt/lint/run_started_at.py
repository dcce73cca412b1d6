"""sqlfluff only (make lint): dbt's `run_started_at` (a datetime) for dbt/macros/as_of_date.sql run_started_at_utc();
any fixed time renders the same SQL shape for linting."""

import datetime as dt


def strftime(fmt: str) -> str:
    return dt.datetime(2026, 1, 1).strftime(fmt)
