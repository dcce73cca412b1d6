"""BI tools open the serving file read-only: SQLAlchemy + duckdb-engine, as Superset does, reads every mart."""

from __future__ import annotations

import sqlalchemy as sa

from dagster_project.warehouse.publish import PARTITIONS


def test_superset_style_read_only_engine_reads_every_mart(warehouse):
    engine = sa.create_engine(f"duckdb:///{warehouse.serving_db}", connect_args={"read_only": True})
    try:
        with engine.connect() as con:
            marts = [
                row[0]
                for row in con.execute(
                    sa.text("select table_name from information_schema.tables where table_schema = 'marts' order by 1")
                )
            ]
            assert "dim_customers" in marts and "fct_orders" in marts
            logged = dict(
                con.execute(
                    sa.text(
                        "select table_name, row_count from meta.publish_log "
                        "where publish_id = (select max_by(publish_id, published_at) from meta.publish_log)"
                    )
                ).all()
            )
            for mart in marts:
                rows = con.execute(sa.text(f"select * from marts.{mart}")).all()
                assert len(rows) == logged[f"marts.{mart}"], mart
            # read-only really is read-only
            try:
                con.execute(sa.text("create table marts.scratch as select 1"))
                wrote = True
            except Exception:  # noqa: BLE001 - duckdb raises its own error type through SQLAlchemy
                wrote = False
            assert not wrote
    finally:
        engine.dispose()


def test_parquet_copies_match_the_serving_file(warehouse):
    for name, count in warehouse.query(
        "select table_name, row_count from meta.publish_log "
        "where publish_id = (select max_by(publish_id, published_at) from meta.publish_log)"
    ):
        mart = name.split(".", 1)[1]
        path = (
            warehouse.serving_db.parent / "parquet" / (f"{mart}/*.parquet" if mart in PARTITIONS else f"{mart}.parquet")
        )
        assert warehouse.scalar(f"select count(*) from read_parquet('{path}')") == count
