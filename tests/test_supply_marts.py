"""Supply marts on a real build: the simulator's planted factories must be found (docs/simulator.md), the BI
columns must exist, and the incremental fct_deliveries must equal a full rebuild after late data and after
corrected files."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
from conftest import AS_OF, Build, run_dbt

from dagster_project.sources.contract import RAW_TABLES
from dagster_project.warehouse import raw

AS_OF_DATE = date.fromisoformat(AS_OF)
DECLINING, LATE, OFF_LIST = "F03", "F05", "F07"

BI_COLUMNS = {
    "mart_factory_scorecard": {
        "factory_id",
        "period_grain",
        "period_start",
        "on_time_rate",
        "in_full_rate",
        "otif_rate",
        "pass_rate",
        "defect_ppm",
        "score",
        "tier",
        "rank",
    },
    "mart_factory_ranking": {"rank", "score", "tier"},
    "mart_factory_alerts": {"indicator", "opened_date", "status", "closed_date"},
}


def test_bi_stable_columns_are_published(warehouse: Build):
    for table, expected in BI_COLUMNS.items():
        columns = {
            row[0]
            for row in warehouse.query(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?",
                [table],
            )
        }
        assert expected <= columns, (table, expected - columns)


def test_declining_factory_has_one_open_pass_rate_alert_and_stable_ones_none(warehouse: Build):
    open_alerts = warehouse.query(
        """
        select factory_id, opened_date, recent_value, baseline_value, value_drop, deliveries_count
        from marts.mart_factory_alerts
        where alert_type = 'decline' and indicator = 'pass_rate' and status = 'open'
        """
    )
    assert [row[0] for row in open_alerts] == [DECLINING], open_alerts
    _, opened, recent, baseline, drop, deliveries = open_alerts[0]
    assert AS_OF_DATE - timedelta(weeks=8) <= opened <= AS_OF_DATE
    assert recent < baseline and drop > 0 and deliveries > 0
    # no stable factory had a pass-rate alert during the declining factory's last 8 weeks either
    recent_others = warehouse.scalar(
        """
        select count(*) from marts.mart_factory_alerts
        where indicator = 'pass_rate' and factory_id <> ? and coalesce(closed_date, opened_date) >= ?
        """,
        [DECLINING, AS_OF_DATE - timedelta(weeks=8)],
    )
    assert recent_others == 0


def test_late_factory_is_last_on_on_time_rate(warehouse: Build):
    ranking = warehouse.query("select factory_id from marts.mart_factory_ranking order by on_time_rate, factory_id")
    assert ranking[0][0] == LATE
    history = warehouse.query(
        """
        select factory_id, sum(on_time_rate * deliveries_count) / sum(deliveries_count) as on_time_rate
        from marts.mart_factory_scorecard
        where period_grain = 'month'
        group by factory_id
        order by on_time_rate
        """
    )
    assert history[0][0] == LATE and history[0][1] < 0.8 < history[1][1]
    # the ranking is 1..n and the late factory is ranked last on score as well
    ranks = [row[0] for row in warehouse.query("select rank from marts.mart_factory_ranking order by rank")]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) == 8
    assert warehouse.scalar("select factory_id from marts.mart_factory_ranking order by rank desc limit 1") == LATE


def test_off_list_factory_spends_under_half_with_designated_suppliers(warehouse: Build):
    shares = dict(
        warehouse.query(
            """
            select factory_id, sum(designated_spend_amount) / sum(material_spend_amount)
            from marts.mart_factory_supplier_compliance
            group by factory_id
            """
        )
    )
    assert shares.pop(OFF_LIST) < 0.5
    assert shares and min(shares.values()) >= 0.85
    latest = warehouse.scalar(
        """
        select rolling_designated_spend_share from marts.mart_factory_supplier_compliance
        where factory_id = ? order by month_start desc limit 1
        """,
        [OFF_LIST],
    )
    assert latest < 0.5
    # the supplier side sees designated suppliers' lower incoming defect rate
    designated, other = warehouse.query(
        """
        select sum(defective_units) / sum(purchased_units)
        from marts.mart_supplier_scorecard group by is_designated order by is_designated desc
        """
    )
    assert designated[0] < other[0]


def _dbt(build_db: Path, work: Path, *args: str) -> None:
    # with its staging models: they are incremental tables that take in what raw gained since their last run
    run_dbt(build_db, work, "run", "--quiet", "--select", "+mart_factory_alerts", *args)


# the incremental models downstream of fct_deliveries, as compared with a full build; processed_at says when a run
# wrote the row: the one column an incremental run and a full build differ in
DOWNSTREAM = {
    "mart_factory_scorecard": "select * exclude (processed_at) from {}marts.mart_factory_scorecard",
    "int_factory_weeks": "select * exclude (processed_at) from {}intermediate.int_factory_weeks",
    "mart_factory_alerts": "select * from {}marts.mart_factory_alerts",
}


def _differing_rows(con: duckdb.DuckDBPyConnection, query: str, a: str, b: str) -> int:
    """Rows of `query` on database prefix a missing from it on prefix b, and the reverse (multiset difference)."""
    return sum(
        con.execute(f"select count(*) from ({query.format(x)} except all {query.format(y)})").fetchone()[0]
        for x, y in ((a, b), (b, a))
    )


def _downstream_differs(con: duckdb.DuckDBPyConnection, a: str, b: str) -> dict[str, int]:
    return {name: _differing_rows(con, query, a, b) for name, query in DOWNSTREAM.items()}


NO_DIFFERENCE = dict.fromkeys(DOWNSTREAM, 0)


def test_incremental_deliveries_equal_a_full_rebuild_after_late_data(warehouse: Build, tmp_path: Path):
    """Build fct_deliveries and its incremental downstream models on the world as of 20 days earlier, then add the
    last 20 days (second parts of split POs, late inspections) and run incrementally: the rows must equal the full
    build, flag for flag; the scorecard and int_factory_weeks re-compute only part of their rows, the scorecard
    among them the periods that were running 20 days ago."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse.build_db, db)
    cutoff = AS_OF_DATE - timedelta(days=20)
    tables = ("deliveries", "inspections", "purchase_orders")
    with duckdb.connect(str(db)) as con:
        con.execute("create schema late")
        for table in tables:
            con.execute(f"create table late.{table} as select * from raw.{table} where _partition_date > ?", [cutoff])
            con.execute(f"delete from raw.{table} where _partition_date > ?", [cutoff])
        con.execute("create table late.run_context as select * from raw.run_context")
        con.execute("update raw.run_context set as_of_date = ?", [cutoff])
    _dbt(db, tmp_path, "--full-refresh")
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create table late.not_in_full as select delivery_id from marts.fct_deliveries where not is_in_full"
        )
        con.execute(
            "create table late.running as select distinct period_grain, period_start "
            "from marts.mart_factory_scorecard where not is_period_complete"
        )
        # as the ingest records a load of the days after the cutoff
        con.execute("create or replace table raw.run_context as select * from late.run_context")
        con.execute("update raw.run_context set loaded_from_date = ?", [cutoff + timedelta(days=1)])
        for table in tables:  # stamped as a new load, as warehouse/raw.py load_table does
            con.execute(
                f"insert into raw.{table} select * replace (current_timestamp::timestamp as _loaded_at) "
                f"from late.{table}"
            )
    _dbt(db, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute(f"attach '{warehouse.build_db}' as full_build (read_only)")
        assert (
            con.execute("select count(*) from marts.fct_deliveries").fetchone()[0]
            == con.execute("select count(*) from full_build.marts.fct_deliveries").fetchone()[0]
        )
        deliveries = "select * exclude (processed_at) from {}marts.fct_deliveries"
        assert _differing_rows(con, deliveries, "", "full_build.") == 0
        # the late second parts really completed earlier part-deliveries (else the test would pass vacuously)
        completed = con.execute(
            "select count(*) from marts.fct_deliveries join late.not_in_full using (delivery_id) where is_in_full"
        ).fetchone()[0]
        assert _downstream_differs(con, "", "full_build.") == NO_DIFFERENCE
        # the periods running 20 days ago are complete now; earlier periods were kept, not re-computed
        assert (
            con.execute(
                "select count(*), count(*) filter (where is_period_complete) "
                "from marts.mart_factory_scorecard semi join late.running using (period_grain, period_start)"
            ).fetchone()
            == (
                con.execute(
                    "select count(*) from full_build.marts.mart_factory_scorecard "
                    "semi join late.running using (period_grain, period_start)"
                ).fetchone()[0],
            )
            * 2
        )
        for table in ("marts.mart_factory_scorecard", "intermediate.int_factory_weeks"):
            assert con.execute(f"select count(distinct processed_at) from {table}").fetchone()[0] == 2
    assert completed > 0


def test_incremental_scorecard_follows_the_as_of_day_and_a_renamed_factory(warehouse: Build, tmp_path: Path):
    """Build the supply marts as of 20 days earlier; then run only the models downstream of fct_deliveries (no
    fct_deliveries row is newer): first with the as-of day moved to the end, then again after a factory was
    renamed. The scorecard periods that ended in between must turn complete and every factory get its weeks up to
    the as-of week and their alerts (only the rows that changed re-computed), then every scorecard row of the
    factory carry its new name, each time as in the full build."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse.build_db, db)
    earlier = AS_OF_DATE - timedelta(days=20)
    with duckdb.connect(str(db)) as con:
        con.execute("create table main.run_context as select * from raw.run_context")
        con.execute("update raw.run_context set as_of_date = ?", [earlier])
    _dbt(db, tmp_path, "--full-refresh")
    with duckdb.connect(str(db)) as con:
        running = con.execute(
            "select count(*) from marts.mart_factory_scorecard where not is_period_complete and period_end <= ?",
            [AS_OF_DATE],
        ).fetchone()[0]
        con.execute("create or replace table raw.run_context as select * from main.run_context")
    run_dbt(db, tmp_path, "run", "--quiet", "--select", *DOWNSTREAM)
    with duckdb.connect(str(db)) as con:
        con.execute(f"attach '{warehouse.build_db}' as full_build (read_only)")
        as_of_moved = _downstream_differs(con, "", "full_build.")
        kept = [
            con.execute(
                f"select count(*) from {table} where processed_at < (select max(processed_at) from {table})"
            ).fetchone()[0]
            for table in ("marts.mart_factory_scorecard", "intermediate.int_factory_weeks")
        ]
        con.execute(
            "insert into raw.factories select * replace ('Renamed ' || factory_name as factory_name, "
            "current_timestamp::timestamp as _loaded_at) from raw.factories where factory_id = ?",
            [LATE],
        )
    run_dbt(db, tmp_path, "run", "--quiet", "--select", "stg_shop__factories", "mart_factory_scorecard")
    with duckdb.connect(str(db)) as con:
        con.execute(f"attach '{warehouse.build_db}' as full_build (read_only)")
        renamed = _differing_rows(
            con,
            "select * exclude (processed_at, factory_name) from {}marts.mart_factory_scorecard",
            "",
            "full_build.",
        )
        names = con.execute(
            "select distinct factory_name from marts.mart_factory_scorecard where factory_id = ?", [LATE]
        ).fetchall()
    assert running > 0  # periods to flip (else the test would pass vacuously)
    assert as_of_moved == NO_DIFFERENCE
    assert all(kept)  # not a full re-computation
    assert renamed == 0
    assert len(names) == 1 and names[0][0].startswith("Renamed ")


def test_incremental_factory_weeks_fill_empty_weeks_before_a_later_change(warehouse: Build, tmp_path: Path):
    """A factory with no delivery for two weeks after the previous run's as-of day, then one delivery re-written
    (a newer row) after that gap: int_factory_weeks must re-compute it from the previous run's running week, not
    from the newer row's week, so the empty weeks in between get their rows (their windows still hold deliveries),
    as a --full-refresh gives them."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse.build_db, db)
    earlier = AS_OF_DATE - timedelta(days=20)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "delete from marts.fct_deliveries where factory_id = ? and delivered_date > ? and delivered_date <= ?",
            [LATE, earlier, earlier + timedelta(days=14)],
        )
        con.execute("create table main.run_context as select * from raw.run_context")
        con.execute("update raw.run_context set as_of_date = ?", [earlier])
    run_dbt(db, tmp_path, "run", "--quiet", "--select", *DOWNSTREAM, "--full-refresh")
    with duckdb.connect(str(db)) as con:
        con.execute("create or replace table raw.run_context as select * from main.run_context")
        (rewritten,) = con.execute(
            "update marts.fct_deliveries set processed_at = current_timestamp::timestamp where delivery_id = "
            "(select min(delivery_id) from marts.fct_deliveries where factory_id = ? and delivered_date > ?) "
            "returning delivered_date",
            [LATE, earlier + timedelta(days=14)],
        ).fetchone()
    run_dbt(db, tmp_path, "run", "--quiet", "--select", *DOWNSTREAM)
    shutil.copy(db, tmp_path / "incremental.duckdb")
    run_dbt(db, tmp_path, "run", "--quiet", "--select", *DOWNSTREAM, "--full-refresh")
    with duckdb.connect(str(db)) as con:
        con.execute(f"attach '{tmp_path / 'incremental.duckdb'}' as incremental (read_only)")
        differing = _downstream_differs(con, "incremental.", "")
        empty_weeks = con.execute(
            "select count(*) from intermediate.int_factory_weeks "
            "where factory_id = ? and deliveries_count = 0 and week_start > ? and week_start < ?",
            [LATE, earlier, rewritten - timedelta(days=6)],
        ).fetchone()[0]
    assert empty_weeks > 0  # the gap to fill (else the test would pass vacuously)
    assert differing == NO_DIFFERENCE


def test_incremental_marts_follow_deliveries_that_leave_a_week(warehouse: Build, tmp_path: Path):
    """Without a newer fct_deliveries row in a week, the models downstream must still see deliveries leave it: the
    leading factory's deliveries of one week deleted, a delivery moved five weeks on (a newer row in its new week
    only), a delivery given to another factory in its week, another factory's first-week deliveries deleted (its
    week numbers move), all deliveries of a third factory deleted, and all deliveries of another week. The
    incremental run must equal a --full-refresh, including the previous_rank of the week after the one that lost its
    leader."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse.build_db, db)
    with duckdb.connect(str(db)) as con:
        # an old week with at least three ranked factories that all deliver the week after too
        week, leader = con.execute(
            """
            select this.period_start, any_value(this.factory_id order by this.rank)
            from marts.mart_factory_scorecard as this
            join marts.mart_factory_scorecard as next
                on this.factory_id = next.factory_id and next.period_grain = 'week'
                and next.period_start = this.period_start + 7
            where this.period_grain = 'week' and this.period_start < ? - 60
            group by this.period_start
            having count(*) >= 3
            order by this.period_start desc limit 1
            """,
            [AS_OF_DATE],
        ).fetchone()
        before = dict(
            con.execute(
                "select factory_id, previous_rank from marts.mart_factory_scorecard "
                "where period_grain = 'week' and period_start = ? + 7",
                [week],
            ).fetchall()
        )
        con.execute(
            "delete from marts.fct_deliveries where factory_id = ? and date_trunc('week', delivered_date) = ?",
            [leader, week],
        )
        (moved,) = con.execute(
            "select min(delivery_id) from marts.fct_deliveries where date_trunc('week', delivered_date) = ? - 14",
            [week],
        ).fetchone()
        con.execute(
            "update marts.fct_deliveries set delivered_date = delivered_date + 35, "
            "processed_at = current_timestamp::timestamp where delivery_id = ?",
            [moved],
        )
        # a delivery given to another factory in the same week (a PO re-sent to another factory): the week's total
        # stays, the new factory gets a newer row, the old one only loses a delivery
        resent, resent_to = con.execute(
            """
            select delivery_id, (
                select min(factory_id) from marts.fct_deliveries as other where other.factory_id <> this.factory_id
            )
            from marts.fct_deliveries as this
            where date_trunc('week', delivered_date) = ? - 28
            order by delivery_id limit 1
            """,
            [week],
        ).fetchone()
        con.execute(
            "update marts.fct_deliveries set factory_id = ?, processed_at = current_timestamp::timestamp "
            "where delivery_id = ?",
            [resent_to, resent],
        )
        first_week = "select min(week_start) from intermediate.int_factory_weeks where factory_id = ?"
        (started,) = con.execute(
            "select factory_id from marts.fct_deliveries where factory_id <> ? order by delivered_date limit 1",
            [leader],
        ).fetchone()
        (first_before,) = con.execute(first_week, [started]).fetchone()
        con.execute(
            "delete from marts.fct_deliveries where factory_id = ? and date_trunc('week', delivered_date) = ?",
            [started, first_before],
        )
        # a factory left with no delivery at all, and a week left with no delivery of any factory
        (gone,) = con.execute(
            "select factory_id from marts.fct_deliveries where factory_id not in (?, ?, ?) "
            "group by factory_id order by count(*), factory_id limit 1",
            [leader, started, resent_to],
        ).fetchone()
        con.execute("delete from marts.fct_deliveries where factory_id = ?", [gone])
        con.execute("delete from marts.fct_deliveries where date_trunc('week', delivered_date) = ? - 56", [week])
    run_dbt(db, tmp_path, "run", "--quiet", "--select", *DOWNSTREAM)
    with duckdb.connect(str(db)) as con:
        after = dict(
            con.execute(
                "select factory_id, previous_rank from marts.mart_factory_scorecard "
                "where period_grain = 'week' and period_start = ? + 7",
                [week],
            ).fetchall()
        )
        (first_after,) = con.execute(first_week, [started]).fetchone()
        gone_rows = [
            con.execute(f"select count(*) from {table} where factory_id = ?", [gone]).fetchone()[0]
            for table in ("marts.mart_factory_scorecard", "intermediate.int_factory_weeks")
        ]
        empty_week_rows = con.execute(
            "select count(*) from marts.mart_factory_scorecard where period_grain = 'week' and period_start = ? - 56",
            [week],
        ).fetchone()[0]
    shutil.copy(db, tmp_path / "incremental.duckdb")
    run_dbt(db, tmp_path, "run", "--quiet", "--select", *DOWNSTREAM, "--full-refresh")
    with duckdb.connect(str(db)) as con:
        con.execute(f"attach '{tmp_path / 'incremental.duckdb'}' as incremental (read_only)")
        differing = _downstream_differs(con, "incremental.", "")
    assert after[leader] is None and before[leader] == 1
    assert any(after[factory] != before[factory] for factory in before if factory != leader)
    assert first_after > first_before
    assert gone_rows == [0, 0]
    assert empty_week_rows == 0
    assert differing == NO_DIFFERENCE


def test_incremental_deliveries_follow_a_corrected_file(warehouse: Build, tmp_path: Path):
    """Corrected files re-loaded through warehouse/raw.py, as the ingest does: a day a month back drops a delivery
    and re-sends another (one part of a split PO) against a different PO; the inspections file of a later day
    drops the only inspection of a delivery of an earlier day. The incremental run must then equal a
    --full-refresh: the dropped delivery gone, both POs' part-delivery totals re-computed, the un-inspected
    delivery back to no inspection; the scorecard, int_factory_weeks and the alerts following them."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse.build_db, db)
    day = AS_OF_DATE - timedelta(days=30)
    with duckdb.connect(str(db)) as con:
        (dropped,) = con.execute(
            """
            select delivery_id from raw.deliveries
            where _partition_date = ? and po_id in (select po_id from raw.deliveries group by po_id having count(*) > 1)
            order by delivery_id limit 1
            """,
            [day],
        ).fetchone()
        # the only inspection of a delivery from an earlier day, of a PO with nothing else on or after the
        # inspection's day (else the PO is re-processed anyway); that day's inspections file is corrected too
        uninspected, inspection, inspection_day = con.execute(
            """
            select deliveries.delivery_id, inspections.inspection_id, inspections._partition_date
            from raw.inspections join raw.deliveries using (delivery_id)
            where inspections._partition_date between ? - 30 and ? + 20
                and inspections._partition_date > deliveries._partition_date
                and deliveries.delivery_id in (select delivery_id from raw.inspections group by 1 having count(*) = 1)
                and not exists (
                    select 1 from raw.deliveries as others left join raw.inspections as checks using (delivery_id)
                    where others.po_id = deliveries.po_id and others.delivery_id <> deliveries.delivery_id
                        and greatest(others._partition_date, checks._partition_date) >= inspections._partition_date
                )
            order by deliveries.delivery_id limit 1
            """,
            [day, day],
        ).fetchone()
        moved, new_po = con.execute(
            """
            select deliveries.delivery_id, (
                select min(po_id) from raw.purchase_orders as other
                where other.ordered_date < ? and other.po_id <> deliveries.po_id
            )
            from raw.deliveries as deliveries
            where _partition_date < ? - 60
                and po_id in (select po_id from raw.deliveries group by po_id having count(*) > 1)
                -- nothing else re-processes the old PO: no delivery or inspection of it on or after that day, and
                -- it is not the PO of the other two cases
                and not exists (
                    select 1 from raw.deliveries as others left join raw.inspections as checks using (delivery_id)
                    where others.po_id = deliveries.po_id
                        and greatest(others._partition_date, checks._partition_date) >= ?
                )
                and po_id not in (select po_id from raw.deliveries where delivery_id in (?, ?))
            order by delivery_id limit 1
            """,
            [day, day, day, dropped, uninspected],
        ).fetchone()
        deliveries = con.execute(
            "select * from raw.deliveries where _partition_date = ? and delivery_id <> ?", [day, dropped]
        ).to_arrow_table()
        moved_copy = con.execute(
            "select * replace (?::varchar as po_id, ?::date as delivered_date, ?::date as _partition_date) "
            "from raw.deliveries where delivery_id = ?",
            [new_po, day, day, moved],
        ).to_arrow_table()
        inspections = con.execute(
            "select * from raw.inspections where _partition_date = ? and inspection_id <> ?",
            [inspection_day, inspection],
        ).to_arrow_table()
        load_id = raw.new_load_id()
        raw.load_table(
            con, RAW_TABLES["deliveries"], pa.concat_tables([deliveries, moved_copy]), day, day, load_id, "test"
        )
        raw.load_table(con, RAW_TABLES["inspections"], inspections, inspection_day, inspection_day, load_id, "test")
        raw.write_run_context(con, min(day, inspection_day), max(day, inspection_day), "test")
    _dbt(db, tmp_path)
    shutil.copy(db, tmp_path / "incremental.duckdb")
    query = "select * exclude (processed_at) from marts.fct_deliveries order by delivery_id"
    with duckdb.connect(str(db), read_only=True) as con:
        incremental = con.execute(query).fetchall()
        kept = dict(
            con.execute(
                "select delivery_id, {po_id: po_id, inspected_units: inspected_units} from marts.fct_deliveries"
            ).fetchall()
        )
    assert dropped not in kept
    assert kept[moved]["po_id"] == new_po
    assert kept[uninspected]["inspected_units"] == 0
    _dbt(db, tmp_path, "--full-refresh")
    with duckdb.connect(str(db)) as con:
        rebuilt = con.execute(query).fetchall()
        con.execute(f"attach '{tmp_path / 'incremental.duckdb'}' as incremental (read_only)")
        downstream = _downstream_differs(con, "incremental.", "")
    assert len(incremental) == len(rebuilt)
    assert [row for row in incremental if row not in set(rebuilt)] == []
    assert downstream == NO_DIFFERENCE


def _scoped_test_follows_the_mark(
    warehouse: Build, tmp_path: Path, model: str, test_name: str, fault: str, stamped: str
) -> None:
    """A scoped test (dbt/tests/generic/incremental_*) of marts.<model>, on a copy of the build: `fault` (an update)
    planted in rows written before the model's mark passes; once the rows `stamped` (a where clause) carry a later
    processed_at it fails, and keeps failing (a failure leaves the mark); with no mark every row is tested, and it
    fails."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse.build_db, db)
    scoped_test = ["test", "--select", f"{model},test_name:{test_name}"]
    failed = f"FAIL 1 {test_name}_{model}"
    with duckdb.connect(str(db)) as con:
        [mark] = con.execute(
            "select tested_through from meta.tested_through where scope = ?", [f"marts.{model}"]
        ).fetchone()
        con.execute(fault)
    assert mark is not None
    run_dbt(db, tmp_path, *scoped_test)  # the fault sits in rows written before the mark
    with duckdb.connect(str(db)) as con:
        con.execute(f"update marts.{model} set processed_at = ?::timestamp + interval 1 second where {stamped}", [mark])
    for _ in range(2):  # written after the mark; a failure leaves the mark
        out = run_dbt(db, tmp_path, *scoped_test, succeeds=False)
        assert failed in out, out[-2000:]
    with duckdb.connect(str(db)) as con:
        con.execute(f"update marts.{model} set processed_at = ? where processed_at > ?", [mark, mark])
        con.execute("delete from meta.tested_through")
    out = run_dbt(db, tmp_path, *scoped_test, succeeds=False)  # no mark: every row, the old fault too
    assert failed in out, out[-2000:]


def test_scorecard_ranks_test_looks_at_the_periods_written_since_it_last_passed(warehouse: Build, tmp_path: Path):
    """incremental_ranks_without_gaps on the scorecard: a rank gap in a period written before the model's mark is
    not looked at, one in a period holding a row written after it fails (and keeps failing); no mark = every
    period."""
    period = "period_grain = 'month' and period_start = (select min(period_start) from marts.mart_factory_scorecard)"
    _scoped_test_follows_the_mark(
        warehouse,
        tmp_path,
        "mart_factory_scorecard",
        "incremental_ranks_without_gaps",
        fault=f"update marts.mart_factory_scorecard set rank = rank + 1 where {period} and rank = 1",
        stamped=f"{period} and rank = 2",  # another row of the period with the gap
    )


def test_deliveries_factory_relationship_looks_at_the_rows_written_since_it_last_passed(
    warehouse: Build, tmp_path: Path
):
    """incremental_relationships on fct_deliveries.factory_id: a delivery of an unknown factory written before the
    model's mark is not looked at; one written after it fails (and keeps failing); no mark = every row."""
    orphan = "delivery_id = (select min(delivery_id) from marts.fct_deliveries)"
    _scoped_test_follows_the_mark(
        warehouse,
        tmp_path,
        "fct_deliveries",
        "incremental_relationships",
        fault=f"update marts.fct_deliveries set factory_id = 'F-UNKNOWN' where {orphan}",
        stamped=orphan,
    )


def test_incremental_deliveries_take_in_a_late_inspection_of_an_old_delivery(warehouse: Build, tmp_path: Path):
    """The as-of day's inspections file carries the only inspection of a delivery made months earlier, of a PO
    with nothing else in the lookback window. The incremental run must re-process that PO (fct_deliveries finds it
    through the kept delivery the inspection names) and equal a --full-refresh."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse.build_db, db)
    with duckdb.connect(str(db)) as con:
        late, inspection = con.execute(
            """
            select deliveries.delivery_id, inspections.inspection_id
            from raw.inspections join raw.deliveries using (delivery_id)
            where deliveries.delivery_id in (select delivery_id from raw.inspections group by 1 having count(*) = 1)
                and not exists (
                    select 1 from raw.deliveries as others left join raw.inspections as checks using (delivery_id)
                    where others.po_id = deliveries.po_id
                        and greatest(others._partition_date, checks._partition_date) >= ? - 60
                )
            order by deliveries.delivery_id limit 1
            """,
            [AS_OF_DATE],
        ).fetchone()
        late_row = con.execute(
            "select * replace (?::date as _partition_date) from raw.inspections where inspection_id = ?",
            [AS_OF_DATE, inspection],
        ).to_arrow_table()
        con.execute("delete from raw.inspections where inspection_id = ?", [inspection])
    _dbt(db, tmp_path, "--full-refresh")
    query = "select * exclude (processed_at) from marts.fct_deliveries order by delivery_id"
    inspected = "select inspected_units from marts.fct_deliveries where delivery_id = ?"
    with duckdb.connect(str(db)) as con:
        assert con.execute(inspected, [late]).fetchone() == (0,)
        # the inspection arrives in the as-of day's file, re-loaded as the ingest loads it
        day_rows = con.execute("select * from raw.inspections where _partition_date = ?", [AS_OF_DATE]).to_arrow_table()
        load_id = raw.new_load_id()
        raw.load_table(
            con,
            RAW_TABLES["inspections"],
            pa.concat_tables([day_rows, late_row]),
            AS_OF_DATE,
            AS_OF_DATE,
            load_id,
            "test",
        )
        raw.write_run_context(con, AS_OF_DATE, AS_OF_DATE, "test")
        assert con.execute("select count(*) from raw.inspections where inspection_id = ?", [inspection]).fetchone()[0]
    _dbt(db, tmp_path)
    with duckdb.connect(str(db)) as con:
        incremental = con.execute(query).fetchall()
        assert con.execute(inspected, [late]).fetchone()[0] > 0
    _dbt(db, tmp_path, "--full-refresh")
    with duckdb.connect(str(db)) as con:
        rebuilt = con.execute(query).fetchall()
    assert len(incremental) == len(rebuilt)
    assert [row for row in incremental if row not in set(rebuilt)] == []
