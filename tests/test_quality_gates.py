"""The gates are wired so that nothing unaudited is published: checked on the Dagster asset graph itself, plus
the raw gates' verdicts on a real dirty load and the mart gates' verdicts on tampered copies of a real build."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.quality.checks import (
    gx_checks,
    mart_gate_marks,
    quarantine_tolerance,
    raw_gates,
    row_accounting,
    run_mart_gate,
)
from dagster_project.quality import gx_runner
from dagster_project.quality.gates import MART_GATES, dbt_vars
from dagster_project.settings import Settings
from dagster_project.sources import simulator
from dagster_project.sources.contract import RAW_TABLES, TABLE_NAMES
from dagster_project.warehouse import raw
from tests.conftest import run_dbt


def _upstream_steps(job: dg.JobDefinition, step: str) -> set[str]:
    structure = job.graph.dependency_structure
    return {out.node_name for outs in structure.input_to_upstream_outputs_for_node(step).values() for out in outs}


def test_publish_waits_for_every_mart_and_every_blocking_check_and_raw_gates_stop_dbt():
    from dagster_project.definitions import defs

    job = defs.resolve_job_def("build")
    graph = defs.resolve_asset_graph()
    publish_key = dg.AssetKey(["serving", "warehouse"])
    marts = {key for key in graph.get_all_asset_keys() if key.path[0] == "marts"}
    assert marts and marts <= set(graph.get(publish_key).parent_keys)
    raw_specs = [spec for spec in raw_gates.check_specs if spec.asset_key.path[0] == "raw"]
    # every raw table has its three gates, all blocking, on the raw asset
    expected = {f"{check}_{table}" for table in TABLE_NAMES for check in ("row_accounting", "quarantine_tolerance")}
    expected |= {f"gx_raw_{table}" for table in TABLE_NAMES}
    assert {s.name for s in raw_specs} == expected
    assert {s.asset_key for s in raw_specs} == {dg.AssetKey(["raw", "extract"])}
    assert all(s.blocking for s in raw_specs)
    # step wiring: dbt waits for the raw gates, publish waits for every mart gate
    assert "raw_gates" in _upstream_steps(job, "dbt_models")
    mart_gate_steps = {node.name for node in job.graph.nodes if node.name.startswith("marts__")}
    assert mart_gate_steps and mart_gate_steps <= _upstream_steps(job, "serving__warehouse")


def test_raw_gates_fail_a_dirty_load_with_a_message_naming_gate_rule_count_and_samples():
    start, end = dt.date(2026, 4, 1), dt.date(2026, 6, 30)
    config = simulator.SimulatorConfig(seed=7, scale=0.05, start_date=start, dirty_rate=0.2)
    data = simulator.generate(config, start, end)
    con = duckdb.connect()
    raw.ensure_schema(con)
    for name in raw.load_order(data):
        raw.load_table(con, RAW_TABLES[name], data[name], start, end, "dirty", "simulator")
    load = con.execute(
        "select load_id, last_day, rows_in, rows_loaded, rows_quarantined from meta.load_history "
        "where table_name = 'orders'"
    ).fetchone()
    passed, message, metadata = quarantine_tolerance(con, "orders", load, 0.01)
    assert not passed
    assert message.startswith("gate quarantine_tolerance failed on raw.orders")
    assert "QUARANTINE_TOLERANCE" in message and "future timestamp" in message and "simulator:2026-" in message
    assert f"{metadata['rows_quarantined']} of {load[2]} rows" in message
    assert quarantine_tolerance(con, "orders", load, 0.5)[0]
    assert row_accounting(con, "orders", load)[0]
    # a row that vanishes from raw breaks the accounting gate
    con.execute("delete from raw.orders where rowid in (select min(rowid) from raw.orders)")
    passed, message, _ = row_accounting(con, "orders", load)
    assert not passed and "1 unaccounted" in message


def test_every_published_mart_has_a_blocking_gx_gate():
    from dagster_project.definitions import defs

    marts = {key for key in defs.resolve_asset_graph().get_all_asset_keys() if key.path[0] == "marts"}
    specs = [spec for check in gx_checks if check is not raw_gates for spec in check.check_specs]
    assert {spec.asset_key for spec in specs} == marts
    assert all(spec.blocking for spec in specs)
    assert len(specs) == len(MART_GATES)


def test_mart_gate_thresholds_are_this_runs_dbt_vars(monkeypatch):
    project = dbt_vars(run_overrides=False)
    monkeypatch.setenv("DBT_VARS", json.dumps({"outreach_sms_cap": project["outreach_sms_cap"] + 2}))
    assert dbt_vars()["outreach_sms_cap"] == project["outreach_sms_cap"] + 2
    assert dbt_vars(run_overrides=False) == project


# (gate, a statement that breaks one mart value, what the failure message must name)
MART_TAMPERING = [
    (
        "marts_mart_factory_scorecard",
        "update marts.mart_factory_scorecard set tier = 'Preferred' where tier = 'Developmental'",
        "expect_column_values_to_be_between on tier_mismatches",
    ),
    (
        "marts_mart_customer_rfm",
        "update marts.mart_customer_rfm set segment = 'VIP' "
        "where customer_id = (select min(customer_id) from marts.mart_customer_rfm)",
        "expect_column_values_to_be_in_set on segment: ",
    ),
    (
        "marts_mart_outreach_candidates",
        "update marts.mart_outreach_candidates set max_discount_rate = 0.25 where priority_rank = "
        "(select min(priority_rank) from marts.mart_outreach_candidates where is_loyal)",
        "expect_column_values_to_be_between on loyal_discount_above_cap: 1 failing",
    ),
    (
        "marts_fct_deliveries",
        "update marts.fct_deliveries set pass_rate = 1.5 "
        "where delivery_id = (select min(delivery_id) from marts.fct_deliveries where is_inspected)",
        "expect_column_values_to_be_between on max_pass_rate: 1 failing, e.g. [1.5]",
    ),
    (
        "marts_mart_factory_alerts",
        "update marts.mart_factory_alerts set status = 'open' where status = 'closed'",
        "expect_column_values_to_be_between on status_mismatches: ",
    ),
    (
        "marts_mart_factory_alerts",
        "update marts.mart_factory_alerts set indicator = 'score' where alert_type = 'decline'",
        "expect_column_values_to_be_in_set on alert_type_indicator: ",
    ),
    (
        "marts_mart_factory_alerts",
        "update marts.mart_factory_alerts set recent_value = 1.5 "
        "where alert_id = (select min(alert_id) from marts.mart_factory_alerts where alert_type = 'decline')",
        "expect_column_values_to_be_between on max_decline_rate: 1 failing, e.g. [1.5]",
    ),
    (
        "marts_mart_campaign_cohort_journey",
        "update marts.mart_campaign_cohort_journey set cohort_customers = cohort_customers + 1 "
        "where cohort_date = (select min(cohort_date) from marts.mart_campaign_cohort_journey)",
        "expect_column_values_to_be_between on cohort_customers_difference: ",
    ),
    (
        "marts_mart_product_drops",
        "update marts.mart_product_drops set units_day_7 = units_day_30 + 1 "
        "where (style, launch_week) = (select (style, launch_week) from marts.mart_product_drops order by all limit 1)",
        "expect_column_values_to_be_between on count_order_mismatches: 1 failing, e.g. [1",
    ),
    (
        "marts_dim_customers",
        "update marts.dim_customers set net_revenue = -1 "
        "where customer_id = (select min(customer_id) from marts.dim_customers)",
        "expect_column_values_to_be_between on min_net_revenue: 1 failing, e.g. [-1",
    ),
    (
        "marts_supply_reconciliation",
        "delete from marts.fct_deliveries where delivery_id = (select min(delivery_id) from marts.fct_deliveries)",
        "expect_column_values_to_be_between on deliveries_count_difference: 2 failing, e.g. [1",
    ),
    (
        "marts_revenue_reconciliation",
        "update marts.mart_daily_kpis set revenue = revenue + 0.01, new_revenue = new_revenue + 0.01 "
        "where kpi_date = (select max(kpi_date) from marts.mart_daily_kpis)",
        "expect_column_values_to_be_between on kpis_revenue_difference: 1 failing",
    ),
    (
        "marts_rfm_reconciliation",
        "update marts.mart_rfm_segments set customers = customers + 1 "
        "where is_current and segment = (select min(segment) from marts.mart_rfm_segments where is_current)",
        "expect_column_values_to_be_between on segments_customers_difference: 1 failing, e.g. [1",
    ),
]


@pytest.fixture(scope="module")
def mart_gates_db(warehouse, tmp_path_factory):
    """A private copy of the default build's database (raw.run_context and seeds included), gates all green."""
    path = tmp_path_factory.mktemp("mart-gates") / "build.duckdb"
    shutil.copy(warehouse.build_db, path)
    with duckdb.connect(str(path), read_only=True) as con:
        results = [gx_runner.run_checkpoint(gate.name, gate.frame(con)) for gate in MART_GATES]
    assert [r.message() for r in results if not r.success] == []
    return path


@pytest.mark.parametrize(("gate_name", "tampering", "expected"), MART_TAMPERING, ids=[t[0] for t in MART_TAMPERING])
def test_mart_gate_fails_a_broken_mart_value_naming_gate_and_expectation(
    mart_gates_db, tmp_path, monkeypatch, gate_name, tampering, expected
):
    docs_builds = []
    monkeypatch.setattr(gx_runner, "build_data_docs", lambda: docs_builds.append(gate_name))  # seconds each
    gate = next(gate for gate in MART_GATES if gate.name == gate_name)
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(mart_gates_db, tampered)
    with duckdb.connect(str(tampered)) as con:
        assert con.execute(tampering).fetchone()[0] >= 1  # rows changed: the statement did break something
        result = gx_runner.run_checkpoint(gate.name, gate.frame(con))
    assert not result.success
    assert result.message().startswith(f"gate {gate_name} failed: ")
    assert expected in result.message()
    assert docs_builds == [gate_name]  # the Data Docs are rebuilt to show the failure


# (mart, a statement that breaks one of its keys, the dbt test that must fail). The GX gates do not count a mart's
# duplicate or null keys or rank gaps: its dbt tests do, with error severity (blocking checks of the same run). The
# incremental models' tests look at rows written since they last passed, so a tampered row there is stamped later.
LATER = "processed_at + interval 1 day"
KEY_TAMPERING = [
    (
        "fct_orders",
        "insert into marts.fct_orders (select * from marts.fct_orders order by order_id limit 1)",
        "unique_fct_orders_order_id",
    ),
    (
        "dim_customers",
        "insert into marts.dim_customers select * replace (orders_count + 1 as orders_count) "
        "from marts.dim_customers where customer_id = (select min(customer_id) from marts.dim_customers)",
        "unique_dim_customers_customer_id",
    ),
    (
        "mart_customer_rfm",
        f"insert into marts.mart_customer_rfm select * replace ({LATER} as processed_at) from marts.mart_customer_rfm "
        "where is_current and customer_id = (select min(customer_id) from marts.mart_customer_rfm)",
        "incremental_unique_mart_customer_rfm_snapshot_date__customer_id",
    ),
    (
        "mart_outreach_candidates",
        "insert into marts.mart_outreach_candidates select * replace ("
        "(select max(priority_rank) + 1 from marts.mart_outreach_candidates) as priority_rank) "
        "from marts.mart_outreach_candidates where priority_rank = 1",
        "unique_mart_outreach_candidates_customer_id",
    ),
    (
        "mart_daily_kpis",
        "insert into marts.mart_daily_kpis select * from marts.mart_daily_kpis "
        "where kpi_date = (select max(kpi_date) from marts.mart_daily_kpis)",
        "unique_mart_daily_kpis_kpi_date",
    ),
    (
        "fct_deliveries",
        f"insert into marts.fct_deliveries select * replace ({LATER} as processed_at) from marts.fct_deliveries "
        "where delivery_id = (select min(delivery_id) from marts.fct_deliveries)",
        "incremental_unique_fct_deliveries_delivery_id",
    ),
    (
        "mart_factory_scorecard",
        f"update marts.mart_factory_scorecard set rank = rank + 1000, processed_at = {LATER} "
        "where rank = 1 and period_grain = 'month' "
        "and period_start = (select max(period_start) from marts.mart_factory_scorecard where period_grain = 'month')",
        "incremental_ranks_without_gaps_mart_factory_scorecard_rank__period_grain__period_start",
    ),
    (
        "mart_factory_ranking",
        "update marts.mart_factory_ranking set rank = rank + 1000 where rank = 1",
        "supply_ranks_without_gaps_mart_factory_ranking_rank",
    ),
    (
        "mart_factory_alerts",
        "insert into marts.mart_factory_alerts select * replace (factory_id || '-x' as factory_id) from "
        "marts.mart_factory_alerts where alert_id = (select min(alert_id) from marts.mart_factory_alerts "
        "where status = 'closed')",
        "unique_mart_factory_alerts_alert_id",
    ),
    (
        # another alert (an open one): its copy under a new id repeats its (factory, type, indicator, opened day)
        "mart_factory_alerts",
        "insert into marts.mart_factory_alerts select * replace (alert_id || '-x' as alert_id) from "
        "marts.mart_factory_alerts where alert_id = (select min(alert_id) from marts.mart_factory_alerts "
        "where status = 'open')",
        "unique_combination_of_columns_mart_factory_alerts_factory_id__alert_type__indicator__opened_date",
    ),
]


def test_a_broken_mart_key_fails_its_dbt_test_a_blocking_check_of_the_mart(mart_gates_db, tmp_path):
    """One tampered copy of the build, one dbt invocation: each broken key fails its own test once."""
    from dagster_project.defs.dbt.assets import dbt_models

    specs = {spec.name: spec for spec in dbt_models.check_specs}
    for mart, _, test in KEY_TAMPERING:
        assert specs[test].asset_key == dg.AssetKey(["marts", mart]) and specs[test].blocking
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(mart_gates_db, tampered)
    with duckdb.connect(str(tampered)) as con:
        for _, tampering, _ in KEY_TAMPERING:
            assert con.execute(tampering).fetchone()[0] == 1, tampering  # one row broke one key
    tests = [test for _, _, test in KEY_TAMPERING]
    out = run_dbt(tampered, tmp_path, "test", "--select", *tests, succeeds=False)
    for test in tests:
        assert f"FAIL 1 {test}" in out, out[-3000:]


def test_data_docs_builds_take_turns_and_keep_the_newest_results_of_each_suite(tmp_path, monkeypatch):
    """Builds in other DATA_DIRs share the GX project: while one prunes and renders the Data Docs, another waits."""
    import fcntl
    import threading
    from types import SimpleNamespace

    root = tmp_path / "expectations"
    runs = root / "gx" / "uncommitted" / "validations" / "raw_orders" / "__none__"
    stamps = [f"20260101T0000{i:02d}.000000Z" for i in range(gx_runner.KEEP_VALIDATIONS + 5)]
    for stamp in stamps:
        (runs / stamp).mkdir(parents=True)
    rendered = []
    site = SimpleNamespace(build_data_docs=lambda: rendered.append(root) or {})  # GX returns {site: url}
    monkeypatch.setattr(gx_runner, "context", lambda project_root: site if project_root == root else None)
    with open(root / "gx" / "uncommitted" / "data_docs.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another build is rendering
        waiting = threading.Thread(target=gx_runner.build_data_docs, args=(root,))
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive() and rendered == []
        assert sorted(p.name for p in runs.iterdir()) == stamps  # nothing pruned under the other build's feet
    waiting.join(30)
    assert not waiting.is_alive() and rendered == [root]
    assert sorted(p.name for p in runs.iterdir()) == stamps[-gx_runner.KEEP_VALIDATIONS :]


def _gate_db(mart_gates_db, tmp_path, monkeypatch, name):
    """Gate `name`, settings over a private copy of the gates' build, a function giving the gate's marks, one
    tampering with the copy; Data Docs are not rebuilt on a failure (seconds each)."""
    monkeypatch.setattr(gx_runner, "build_data_docs", lambda: None)
    gate = next(gate for gate in MART_GATES if gate.name == name)
    settings = Settings(data_dir=tmp_path / "data")
    settings.build_db.parent.mkdir(parents=True)
    shutil.copy(mart_gates_db, settings.build_db)

    def marks():
        with duckdb.connect(str(settings.build_db), read_only=True) as con:
            return mart_gate_marks(con, gate)

    def tamper(sql: str) -> None:
        with duckdb.connect(str(settings.build_db)) as con:
            con.execute(sql)

    return gate, settings, marks, tamper


def test_stamped_mart_gates_profile_the_groups_written_since_they_last_passed(mart_gates_db, tmp_path, monkeypatch):
    """fct_deliveries' gate (per delivery month) profiles the months holding a row written after its mark; a pass
    moves the mark, a failure leaves it; no mark = every month. The build that made the fixture recorded the mark
    through the Dagster check."""
    gate, settings, marks, tamper = _gate_db(mart_gates_db, tmp_path, monkeypatch, "marts_fct_deliveries")
    assert gate.stamped

    with duckdb.connect(str(settings.build_db), read_only=True) as con:  # the build recorded every mark
        recorded = dict(con.execute("select scope, tested_through from meta.tested_through").fetchall())
        for stamped in (g for g in MART_GATES if g.stamped):
            assert mart_gate_marks(con, stamped)[0] == recorded[f"gx_{stamped.name}"] is not None
            # a mark holds for the gate's query and suite as they are: another query has none
            assert mart_gate_marks(con, dataclasses.replace(stamped, query=stamped.query + "\n"))[0] is None
    stamped_models = {"marts.fct_deliveries", "marts.mart_factory_scorecard", "marts.mart_customer_rfm"}
    assert {"staging.stg_shop__orders", *stamped_models} <= set(recorded)
    mark, newest, _ = marks()
    assert mark == newest is not None
    passed, _, metadata = run_mart_gate(settings, gate)
    assert passed and metadata["rows_validated"] == 0 and metadata["profiled"] == f"groups written after {mark}"

    one = "delivery_id = (select min(delivery_id) from marts.fct_deliveries where is_inspected)"
    tamper(f"update marts.fct_deliveries set pass_rate = 1.5 where {one}")  # written before the mark: not looked at
    assert run_mart_gate(settings, gate)[0]
    tamper(f"update marts.fct_deliveries set processed_at = '{mark}'::timestamp + interval 1 second where {one}")
    for _ in range(2):  # its month alone is profiled; the mark stays, so the next run fails too
        passed, message, metadata = run_mart_gate(settings, gate)
        assert not passed and "max_pass_rate: 1 failing, e.g. [1.5]" in message
        assert metadata["rows_validated"] == 1 and marks()[0] == mark

    tamper("delete from meta.tested_through")
    passed, _, metadata = run_mart_gate(settings, gate)
    assert not passed and metadata["profiled"] == "every group" and metadata["rows_validated"] > 1


def test_fct_deliveries_gate_profiles_the_whole_month_of_a_written_row(mart_gates_db, tmp_path, monkeypatch):
    """The gate's bounds (Gate.bounds) cover the written month from its first to its last day, not only the days of
    the rows written: a bad row written before the mark, on another day of that month, is still profiled."""
    gate, settings, marks, tamper = _gate_db(mart_gates_db, tmp_path, monkeypatch, "marts_fct_deliveries")
    assert gate.bounds
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        month, first, last = con.execute(
            """
            select date_trunc('month', delivered_date) as month, min(delivered_date), max(delivered_date)
            from marts.fct_deliveries
            where is_inspected
            group by month
            having min(delivered_date) < max(delivered_date)
            order by month
            limit 1
            """
        ).fetchone()
    mark = marks().mark
    day = "(select min(delivery_id) from marts.fct_deliveries where is_inspected and delivered_date = '{}')"
    tamper(f"update marts.fct_deliveries set pass_rate = 1.5 where delivery_id = {day.format(first)}")
    assert run_mart_gate(settings, gate)[0]  # written before the mark: not looked at
    later = f"'{mark}'::timestamp + interval 1 second"
    tamper(f"update marts.fct_deliveries set processed_at = {later} where delivery_id = {day.format(last)}")
    passed, message, metadata = run_mart_gate(settings, gate)
    assert not passed and "max_pass_rate: 1 failing, e.g. [1.5]" in message, (month, first, last)
    assert metadata["rows_validated"] == 1  # that month alone


def test_rfm_gate_profiles_the_current_snapshot_and_those_written_since_it_last_passed(
    mart_gates_db, tmp_path, monkeypatch
):
    """mart_customer_rfm's gate (per snapshot and segment) always profiles the current snapshot, and the older ones
    holding a row written after its mark; editing the seed it compares with makes it profile every snapshot."""
    gate, settings, marks, tamper = _gate_db(mart_gates_db, tmp_path, monkeypatch, "marts_mart_customer_rfm")
    assert gate.stamped
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        current, snapshot, every = con.execute(
            """
            select
                count(distinct segment) filter (where is_current),
                max(snapshot_date) filter (where not is_current),
                count(distinct (snapshot_date, segment))
            from marts.mart_customer_rfm
            """
        ).fetchone()
        older = con.execute(
            "select count(distinct segment) from marts.mart_customer_rfm where snapshot_date = ?", [snapshot]
        ).fetchone()[0]
        one = f"snapshot_date = '{snapshot}' and customer_id = (select min(customer_id) from marts.mart_customer_rfm)"
        segment = con.execute(f"select segment from marts.mart_customer_rfm where {one}").fetchone()[0]
    mark = marks().mark
    assert mark is not None and every > current + older

    passed, _, metadata = run_mart_gate(settings, gate)  # nothing written since: the current snapshot alone
    assert passed and metadata["rows_validated"] == current

    tamper(f"update marts.mart_customer_rfm set segment = 'VIP' where {one}")  # written before the mark
    assert run_mart_gate(settings, gate)[0]
    tamper(f"update marts.mart_customer_rfm set processed_at = '{mark}'::timestamp + interval 1 second where {one}")
    for _ in range(2):  # that snapshot is profiled too; the mark stays, so the next run fails too
        passed, message, metadata = run_mart_gate(settings, gate)
        assert not passed and "expect_column_values_to_be_in_set on segment: " in message
        assert metadata["rows_validated"] == current + older + 1 and marks().mark == mark

    tamper(f"update marts.mart_customer_rfm set segment = '{segment}', processed_at = '{mark}' where {one}")
    assert run_mart_gate(settings, gate)[0]
    tamper("update seeds.rfm_segments set r_score_min = r_score_min where segment = 'Champions'")
    assert marks().mark is not None  # the same seed rows: the same fingerprint
    tamper("update seeds.rfm_segments set f_score_max = f_score_max - 1 where segment = 'Champions'")
    assert marks().mark is None  # another seed: every snapshot is profiled, and the old ones now mismatch
    passed, message, metadata = run_mart_gate(settings, gate)
    assert not passed and metadata["profiled"] == "every group" and metadata["rows_validated"] == every
