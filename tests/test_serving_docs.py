"""The serving file tells a BI user what they read: every mart and column carries its dbt description as a comment
(money columns with the currency), meta.shop names the currency and time zone, and a DuckDB 1.x client sees it all."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import duckdb

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.warehouse import publish as publishing
from dagster_project.warehouse import serving_docs
from tests.conftest import old_duckdb_python

COMMENTS_SQL = """
select t.table_name, null as column_name, t.comment from duckdb_tables() as t
where t.database_name = current_database() and t.schema_name = 'marts'
union all
select c.table_name, c.column_name, c.comment from duckdb_columns() as c
where c.database_name = current_database() and c.schema_name = 'marts'
"""

# run by a DuckDB 1.x client's Python: the comments it sees, meta.shop, and the display views' row counts and scores
OLD_READER = r"""
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
rows = con.execute(sys.argv[2]).fetchall()
views = [v for (v,) in con.execute("select view_name from duckdb_views() where schema_name = 'display'").fetchall()]
counts = {v: con.execute(f"select count(*) from display.{v}").fetchone()[0] for v in views}
scores = con.execute("select factory_id, score from display.mart_factory_ranking order by 1").fetchall()
shop = con.execute("from meta.shop").fetchall()
print(json.dumps({"version": duckdb.__version__, "comments": rows, "shop": shop, "views": counts, "scores": scores}))
"""


def _comments(rows) -> dict[tuple[str, str | None], str | None]:
    return {(table, column): comment for table, column, comment in rows}


def test_every_described_mart_and_column_has_its_comment_and_a_1x_client_sees_them(warehouse):
    docs = serving_docs.mart_descriptions(dbt_project.manifest_path)
    with duckdb.connect(str(warehouse.serving_db), read_only=True) as con:
        comments = _comments(con.execute(COMMENTS_SQL).fetchall())
        types = dict(
            ((table, column), data_type)
            for table, column, data_type in con.execute(
                "select table_name, column_name, data_type from duckdb_columns() where schema_name = 'marts'"
            ).fetchall()
        )
        shop = con.execute("from meta.shop").fetchall()
        views = dict(
            con.execute(
                "select v.view_name, (select count(*) from duckdb_columns() as c where c.schema_name = 'display' "
                "and c.table_name = v.view_name and c.comment like '%Rounded to%') "
                "from duckdb_views() as v where v.schema_name = 'display'"
            ).fetchall()
        )
        ranking = con.execute(
            "select m.factory_id, m.score, d.score, m.on_time_rate, d.on_time_rate, m.defect_ppm, d.defect_ppm "
            "from marts.mart_factory_ranking as m join display.mart_factory_ranking as d using (factory_id) "
            "order by 1"
        ).fetchall()
        counts = {view: con.execute(f"select count(*) from display.{view}").fetchone()[0] for view in views}
    marts = {table for table, column in comments if column is None}
    assert marts == set(docs) and "dim_customers" in marts  # every published mart is a dbt model with docs
    money = 0
    for table, mart in docs.items():
        assert mart.description and comments[(table, None)] == mart.description, table
        for column, text in mart.columns.items():
            if serving_docs.MONEY_TYPE.fullmatch(types[(table, column)]):
                money += 1
                assert comments[(table, column)] == f"{text} Currency: CNY.", (table, column)
            else:
                assert comments[(table, column)] == text, (table, column)
    assert money >= 20  # net_revenue, avg_order_value, amounts...: the money columns are found by their type
    assert comments[("fct_orders", "net_amount")] == "Amount paid. Currency: CNY."
    assert "Currency" not in comments[("mart_factory_ranking", "score")]
    assert shop == [("CNY", "UTC")]
    # display.<mart>: a view of every mart_* (not the fct_/dim_ tables), its DOUBLE columns rounded, saying so
    assert set(views) == {mart for mart in marts if mart.startswith("mart_")} and "mart_factory_ranking" in views
    assert views["mart_factory_ranking"] >= 8 and views["mart_outreach_candidates"] >= 1

    def rounded(full: float, shown: float, places: int) -> bool:  # to `places` decimals, within half a unit
        return shown == round(shown, places) and abs(shown - full) <= 0.5 * 10**-places + 1e-9

    assert ranking and all(
        rounded(score, d_score, 1) and rounded(rate, d_rate, 3) and rounded(ppm, d_ppm, 0)
        for _, score, d_score, rate, d_rate, ppm, d_ppm in ranking
    )
    assert any(score != d_score for _, score, d_score, *_ in ranking)  # the marts keep their full precision

    done = subprocess.run(
        [str(old_duckdb_python("1.4.2")), "-c", OLD_READER, str(warehouse.serving_db), COMMENTS_SQL],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    read = json.loads(done.stdout)
    assert read["version"] == "1.4.2"
    assert _comments(read["comments"]) == comments
    assert read["shop"] == [["CNY", "UTC"]]
    assert read["views"] == counts  # a 1.x client binds the views
    assert read["scores"] == [[factory, d_score] for factory, _, d_score, *_ in ranking]


def test_a_mart_copied_again_gets_its_comments_back_and_a_dropped_description_clears_one(tmp_path):
    build, serving = tmp_path / "build.duckdb", tmp_path / "serving" / "warehouse.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute("create table raw.run_context as select date '2026-06-30' as as_of_date")
        con.execute("create table marts.mart_one as select range as id, range::decimal(14, 2) as amount from range(9)")
    docs = serving_docs.ServingDocs(
        {"mart_one": serving_docs.MartDocs("One's rows.", {"id": "The key.", "amount": "Paid."})}, "EUR", "Europe/Paris"
    )

    def publish(run: str, docs=docs) -> dict:
        publishing.publish(build, serving, run, dt.date(2026, 6, 30), "test", docs=docs)
        with duckdb.connect(str(serving), read_only=True) as con:
            return _comments(con.execute(COMMENTS_SQL).fetchall()) | {"shop": con.execute("from meta.shop").fetchall()}

    expected = {
        ("mart_one", None): "One's rows.",
        ("mart_one", "id"): "The key.",
        ("mart_one", "amount"): "Paid. Currency: EUR.",
        "shop": [("EUR", "Europe/Paris")],
    }
    assert publish("run-1") == expected
    with duckdb.connect(str(build)) as con:  # a new column: the mart is copied whole, without comments, then given them
        con.execute("create or replace table marts.mart_one as select *, 1 as extra from marts.mart_one")
    assert publish("run-2") == expected | {("mart_one", "extra"): None}
    fewer_marts = {"mart_one": serving_docs.MartDocs("One's rows.", {"id": "The key."})}
    fewer = serving_docs.ServingDocs(fewer_marts, "EUR", "UTC")
    assert publish("run-3", fewer) == expected | {
        ("mart_one", "amount"): "Currency: EUR.",
        ("mart_one", "extra"): None,
        "shop": [("EUR", "UTC")],
    }
