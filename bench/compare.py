"""Do the pipeline, the floor and pandas agree? Same customer count, same score distribution, same scorecard rows.

Each implementation's output is read into one canonical shape (the SELECTs below map the pipeline's marts onto
it), then compared exactly on counts/keys and to 1e-9 on rates and money.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# The pipeline's published marts, in the baselines' column names.
PIPELINE_RFM_SQL = """
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score
    from marts.mart_customer_rfm
    where is_current
"""
PIPELINE_SCORECARD_SQL = """
    select
        factory_id,
        period_start as month_date,
        deliveries_count,
        delivered_units,
        on_time_rate,
        inspected_units,
        passed_units,
        pass_rate
    from marts.mart_factory_scorecard
    where period_grain = 'month'
"""
SCORECARD_KEY = ("factory_id", "month_date")
SCORECARD_EXACT = ("deliveries_count", "delivered_units", "inspected_units", "passed_units")
SCORECARD_RATES = ("on_time_rate", "pass_rate")


def _load(con: duckdb.DuckDBPyConnection, name: str, source: str) -> None:
    con.execute(f"create or replace temp table {name} as {source}")


def load_outputs(con: duckdb.DuckDBPyConnection, label: str, out_dir: Path | None, serving_db: Path | None) -> str:
    """Create temp tables <label>_rfm and <label>_scorecard; return '' or why they are missing."""
    if serving_db is not None:
        if not serving_db.exists():
            return f"{label}: {serving_db} does not exist"
        con.execute(f"attach '{serving_db}' as {label}_db (read_only)")
        missing = []
        for kind, query in (("rfm", PIPELINE_RFM_SQL), ("scorecard", PIPELINE_SCORECARD_SQL)):
            try:
                _load(con, f"{label}_{kind}", query.replace("marts.", f"{label}_db.marts."))
            except duckdb.Error as error:
                missing.append(f"{label} {kind}: {str(error).splitlines()[0]}")
        con.execute(f"detach {label}_db")
        return "; ".join(missing)
    assert out_dir is not None
    _load(con, f"{label}_rfm", f"select * from read_parquet('{out_dir / 'rfm.parquet'}')")
    _load(
        con,
        f"{label}_scorecard",
        "select * replace (cast(month_date as date) as month_date) "
        f"from read_parquet('{out_dir / 'scorecard.parquet'}')",
    )
    return ""


def _diff_rfm(con: duckdb.DuckDBPyConnection, a: str, b: str) -> list[str]:
    problems = []
    count_a, count_b = (con.execute(f"select count(*) from {x}_rfm").fetchone()[0] for x in (a, b))
    if count_a != count_b:
        problems.append(f"customer count {a}={count_a} {b}={count_b}")
    distribution = """
        select score, value, count(*) as customers from (
            unpivot (select r_score, f_score, m_score from {t}_rfm) on r_score, f_score, m_score
            into name score value value
        ) group by all
    """
    diff = con.execute(
        f"select count(*) from (({distribution.format(t=a)}) except ({distribution.format(t=b)}))"
    ).fetchone()[0]
    if diff:
        problems.append(f"score distribution differs between {a} and {b} in {diff} (score, value) cells")
    rows = con.execute(
        f"""
        select count(*) from {a}_rfm as x full join {b}_rfm as y using (customer_id)
        where x.customer_id is null or y.customer_id is null
           or x.recency_days <> y.recency_days or x.frequency <> y.frequency
           or abs(cast(x.monetary as double) - cast(y.monetary as double)) > 1e-6
           or x.r_score <> y.r_score or x.f_score <> y.f_score or x.m_score <> y.m_score
        """
    ).fetchone()[0]
    if rows:
        problems.append(f"{rows} customers differ between {a} and {b} (values or scores)")
    return problems


def _diff_scorecard(con: duckdb.DuckDBPyConnection, a: str, b: str) -> list[str]:
    on = " and ".join(f"x.{k} = y.{k}" for k in SCORECARD_KEY)
    mismatch = " or ".join(
        [f"x.{k} is null or y.{k} is null" for k in SCORECARD_KEY]
        + [f"x.{c} is distinct from y.{c}" for c in SCORECARD_EXACT]
        + [f"coalesce(abs(x.{c} - y.{c}) > 1e-9, (x.{c} is null) <> (y.{c} is null))" for c in SCORECARD_RATES]
    )
    rows = con.execute(
        f"select count(*) from {a}_scorecard as x full join {b}_scorecard as y on {on} where {mismatch}"
    ).fetchone()[0]
    return [f"{rows} scorecard rows differ between {a} and {b}"] if rows else []


def agree(floor_dir: Path, pandas_dir: Path | None, serving_db: Path) -> dict:
    """Compare floor with pandas and with the pipeline.

    `ok` is false on any mismatch; a mart the pipeline does not publish (yet) is a gap, not a mismatch, and
    makes `complete` false.
    """
    con = duckdb.connect()
    load_outputs(con, "floor", floor_dir, None)
    problems: list[str] = []
    compared = ["floor"]
    if pandas_dir is not None:
        load_outputs(con, "pandas", pandas_dir, None)
        problems += _diff_rfm(con, "floor", "pandas") + _diff_scorecard(con, "floor", "pandas")
        compared.append("pandas")
    missing = load_outputs(con, "pipeline", None, serving_db)
    gaps = [f"pipeline marts not comparable: {missing}"] if missing else []
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where temporary").fetchall()}
    if "pipeline_rfm" in tables:
        problems += _diff_rfm(con, "floor", "pipeline")
        compared.append("pipeline")
    if "pipeline_scorecard" in tables:
        problems += _diff_scorecard(con, "floor", "pipeline")
        compared.append("pipeline scorecard")
    return {
        "ok": not problems,  # no mismatch among what could be compared
        "complete": not problems and not gaps,  # and pipeline, floor and pandas were all compared on both marts
        "compared": compared,
        "problems": problems,
        "gaps": gaps,
        "customers": con.execute("select count(*) from floor_rfm").fetchone()[0],
        "scorecard_rows": con.execute("select count(*) from floor_scorecard").fetchone()[0],
    }
