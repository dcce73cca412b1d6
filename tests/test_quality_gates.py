"""The gates are wired so that nothing unaudited is published: checked on the Dagster asset graph itself, plus
the raw gates' verdicts on a real dirty load."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from dagster_project.defs.quality.checks import quarantine_tolerance, raw_gates, row_accounting
from dagster_project.sources import simulator
from dagster_project.sources.contract import RAW_TABLES, TABLE_NAMES
from dagster_project.warehouse import raw


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
