"""Write–audit–publish under fire, with real processes: a BI-like reader queries the serving file in a loop while
builds run back to back — good ones, ones that fail a gate (DIRTY=0.2 trips the quarantine tolerance) and ones
killed with SIGKILL during the load, during dbt and during the publish. The reader never errors and always sees a
complete snapshot; a failed or killed build leaves the serving file byte-identical; the next build needs no
cleanup; the same day built twice gives identical marts; the GX Data Docs show the failure."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, run_cli

SMALL = {"SCALE": "0.05", "SIM_START": "2026-04-01", "AS_OF": "2026-06-30"}
DIRTY = {**SMALL, "DIRTY": "0.2"}

READER = r"""
import json, sys, time, duckdb
path, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
import os
reads, errors, mismatches, seen = 0, [], [], set()
while not os.path.exists(stop):
    if not os.path.exists(path):
        time.sleep(0.05); continue
    try:
        con = duckdb.connect(path, read_only=True)
        try:
            publish_id, logged = con.execute(
                "select publish_id, map_from_entries(list((table_name, row_count))) from meta.publish_log "
                "where publish_id = (select max_by(publish_id, published_at) from meta.publish_log) "
                "group by publish_id").fetchone()
            counts = {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in logged}
            tables = {f"marts.{t}" for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
        finally:
            con.close()
        reads += 1
        seen.add(publish_id)
        if counts != dict(logged) or tables != set(logged):
            mismatches.append([publish_id, dict(logged), counts])
    except Exception as error:
        errors.append(repr(error))
    time.sleep(0.02)
json.dump({"reads": reads, "errors": errors, "mismatches": mismatches, "seen": sorted(seen)}, open(out, "w"))
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _marts(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        ]
        # processed_at: when a run wrote the row (incremental watermark), different in every build
        query = "select columns(lambda c: c <> 'processed_at') from marts.{} order by all"
        return {name: con.execute(query.format(name)).fetchall() for name in names}


def failed_validation_pages(suite: str, since: str) -> list[Path]:
    """Data Docs pages of failed validations of `suite` stored after `since` (GX run names are UTC stamps)."""
    root = REPO / "expectations" / "gx" / "uncommitted"
    pages = []
    for result in (root / "validations" / suite).glob("*/*/*.json"):
        stamp = result.parent.name
        if stamp < since or json.loads(result.read_text())["success"]:
            continue
        page = root / "data_docs" / "local_site" / "validations" / suite / result.parent.parent.name / stamp
        pages += [p for p in page.glob("*.html") if "quarantined_share" in p.read_text()]
    return pages


def _killed_build(data_dir: Path, home: Path, env: dict, wait_for: str) -> str:
    """Start a build, SIGKILL its whole process group (dbt included) once `wait_for` shows in its output."""
    log = data_dir.parent / "killed.log"
    full_env = {
        **os.environ,
        "SEED": "20261122",
        "SOURCE": "simulator",
        "DIRTY": "0",
        "DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(home),
        **env,
    }
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster_project.cli", "build"],
            cwd=REPO,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 600
        while wait_for not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return log.read_text()


@pytest.fixture(scope="module")
def sequence(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    data_dir = root / "data"
    home = root / "dagster-home"
    serving = data_dir / "serving" / "warehouse.duckdb"
    stop, report = root / "stop", root / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(serving), str(stop), str(report)])
    steps: list[dict] = []

    def build(kind: str, env: dict, pause: str | None = None, wait_for: str | None = None) -> None:
        before = _digest(serving) if serving.exists() else None
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        if wait_for is None:
            result = run_cli(data_dir, "build", env=env, dagster_home=home)
            output, code = result.output, result.returncode
        else:
            extra = {"WAREHOUSE_TEST_PAUSE_AT": pause} if pause else {}
            output, code = _killed_build(data_dir, home, {**env, **extra}, wait_for), -9
        steps.append(
            {
                "kind": kind,
                "code": code,
                "output": output,
                "before": before,
                "after": _digest(serving) if serving.exists() else None,
                "marts": _marts(serving) if kind == "good" else None,
                # read now: builds in other test processes share the GX store and prune its older results
                "failed_pages": failed_validation_pages("raw_orders", since=stamp) if kind == "failing" else None,
                "staging_left": sorted(p.name for p in (data_dir / "serving" / ".staging").glob("*"))
                if (data_dir / "serving" / ".staging").exists()
                else [],
            }
        )

    try:
        # Each build after a kill must get past the point where the killed one died, with no cleanup: the failing
        # build reaches the raw gates (after the load), the publish kill reaches the publish (after dbt), and the
        # last good build publishes over the staging copy the publish kill left.
        build("good", SMALL)
        build("killed during load", SMALL, pause="load", wait_for="PAUSED AT load")
        build("failing", DIRTY)
        # VERBOSE=1: dbt's per-node lines ("START sql ...") reach the terminal, so the kill lands mid-dbt
        build("killed during dbt", {**SMALL, "VERBOSE": "1"}, wait_for="START sql")
        build("killed during publish", SMALL, pause="publish", wait_for="PAUSED AT publish")
        build("good", SMALL)
    finally:
        stop.write_text("stop")
        reader.wait(timeout=60)
    return {"steps": steps, "reader": json.loads(report.read_text()), "data_dir": data_dir}


def test_reader_never_errors_and_always_sees_a_complete_snapshot(sequence):
    reader = sequence["reader"]
    assert reader["errors"] == []
    assert reader["mismatches"] == []
    assert reader["reads"] > 20
    assert len(reader["seen"]) >= 2  # it really read across swaps


def test_good_builds_publish_and_failed_or_killed_builds_leave_the_serving_file_byte_identical(sequence):
    steps = sequence["steps"]
    for step in steps:
        if step["kind"] == "good":
            assert step["code"] == 0, step["output"][-3000:]
            assert step["after"] != step["before"]
        else:
            assert step["code"] != 0
            assert step["after"] == step["before"], step["kind"]
    assert steps[-1]["staging_left"] == []


def test_killed_builds_were_killed_where_intended_and_the_next_build_recovers(sequence):
    steps = sequence["steps"]
    by_kind = {s["kind"]: (i, s) for i, s in enumerate(steps)}
    _, load = by_kind["killed during load"]
    assert "PAUSED AT load" in load["output"] and "dbt build" not in load["output"]
    _, dbt = by_kind["killed during dbt"]
    assert "START sql" in dbt["output"] and "Finished dbt command" not in dbt["output"]
    index, publish = by_kind["killed during publish"]
    assert "PAUSED AT publish" in publish["output"]
    assert publish["staging_left"]  # the complete staging copy was there, not yet swapped in
    # the build after each kill got past where the killed one died
    i, _ = by_kind["killed during load"]
    assert (
        steps[i + 1]["kind"] == "failing"
        and "FAILED raw/extract · quarantine_tolerance_orders" in steps[i + 1]["output"]
    )
    i, _ = by_kind["killed during dbt"]
    assert steps[i + 1]["kind"] == "killed during publish"  # asserted above: it reached the publish
    assert steps[index + 1]["code"] == 0


def test_a_failed_gate_names_gate_expectation_count_and_samples_and_data_docs_show_it(sequence):
    failing = [s for s in sequence["steps"] if s["kind"] == "failing"]
    for step in failing:
        line = next(
            line for line in step["output"].splitlines() if "FAILED raw/extract · quarantine_tolerance_orders" in line
        )
        assert "gate quarantine_tolerance failed on raw.orders" in line
        assert "QUARANTINE_TOLERANCE" in line and " of " in line and "(e.g. simulator:2026-" in line
        assert "nothing was published" in step["output"]
        assert step["failed_pages"], "no Data Docs page shows the failed raw_orders validation"


def test_the_same_day_built_twice_gives_identical_marts(sequence):
    marts = [s["marts"] for s in sequence["steps"] if s["kind"] == "good"]
    assert len(marts) >= 2 and marts[0]
    assert all(m == marts[0] for m in marts[1:])


# --- publishing only what changed (warehouse/publish.py), on hand-made build files: every case in seconds -----------


def _make_build(path: Path, statements: list[str]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw; create schema if not exists marts")
        con.execute("create or replace table raw.run_context as select date '2026-06-30' as as_of_date")
        for statement in statements:
            con.execute(statement)


def _same_rows(build_db: Path, serving_db: Path) -> dict[str, tuple[int, int]]:
    """Per mart: (rows only in the build, rows only in the serving file), counting duplicates."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
        con.execute(f"attach '{build_db}' as build (read_only)")
        names = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' and database_name = 'build'"
            ).fetchall()
        }
        served = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' and database_name = 'warehouse'"
            ).fetchall()
        }
        assert served == names
        return {
            name: con.execute(
                f"""
                select
                    (select count(*) from (from build.marts.{name} except all from warehouse.marts.{name})),
                    (select count(*) from (from warehouse.marts.{name} except all from build.marts.{name}))
                """
            ).fetchone()
            for name in names
        }


def test_publish_rewrites_only_changed_partitions_and_the_serving_file_holds_the_builds_rows(tmp_path):
    from dagster_project.warehouse import publish as publishing

    build, serving = tmp_path / "build.duckdb", tmp_path / "serving" / "warehouse.duckdb"
    parquet = serving.parent / "parquet"
    _make_build(
        build,
        [
            # 3 months of orders, one order without a date (its partition is NULL), two equal rows alone in August
            """create table marts.fct_orders as
               select i as order_id, date '2026-04-01' + i::integer as ordered_date, 10.0 * i as amount
               from range(1, 90) as t(i)""",
            "insert into marts.fct_orders values (1000, null, 1.0), (2000, '2026-08-15', 5.0), "
            "(2000, '2026-08-15', 5.0)",
            "create table marts.mart_static as select 1 as x",
            "create table marts.mart_kpis as select 1 as k",
            "create table marts.mart_tags as select 1 as id, []::varchar[] as tags",
            'create table marts.mart_odd as select 1 as id, [1] as "a ""quoted"" list"',  # hashed as text too
            "create table marts.mart_gone as select 1 as y",
            "create table marts.mart_reshaped as select 1 as z",
        ],
    )
    publish = lambda run: publishing.publish(build, serving, run, dt.date(2026, 6, 30), "test")  # noqa: E731
    serving.parent.mkdir()
    first = publish("run-1")
    assert {c.how for c in first.changes.values()} == {"copied"}
    assert all(counts == (0, 0) for counts in _same_rows(build, serving).values())
    files = ("mart_static.parquet", "fct_orders/2026-04.parquet", "fct_orders/2026-05.parquet")
    assert sorted(p.name for p in (parquet / "fct_orders").iterdir()) == [
        "2026-04.parquet",
        "2026-05.parquet",
        "2026-06.parquet",
        "2026-08.parquet",
        "null.parquet",
    ]
    untouched = {file: (parquet / file).stat().st_mtime_ns for file in files}

    _make_build(
        build,
        [
            "update marts.fct_orders set amount = amount + 1 where order_id = 5",  # April: a row changed
            "delete from marts.fct_orders where order_id = 70",  # June: a row gone
            # the two equal August rows become two other equal rows: a xor of hashes would see no change
            "update marts.fct_orders set amount = 6.0 where order_id = 2000",
            "update marts.fct_orders set amount = 2.0 where order_id = 1000",  # the NULL partition
            "update marts.mart_kpis set k = 2",  # one partition, all of it changed: copied whole
            "update marts.mart_tags set tags = null",  # DuckDB hashes a NULL list like an empty one
            "drop table marts.mart_gone",
            "create table marts.mart_new as select 2 as w",
            "alter table marts.mart_reshaped add column v integer",
        ],
    )
    second = publish("run-2")
    changes = {name.split(".", 1)[1]: change for name, change in second.changes.items()}
    # April, June, August and NULL re-written, May kept
    assert changes["fct_orders"] == publishing.TableChange(partitions=5, rewritten=4, how="partitions")
    assert changes["mart_static"].how == "unchanged"
    assert changes["mart_gone"].how == "dropped" and not (parquet / "mart_gone.parquet").exists()
    assert {changes[name].how for name in ("mart_new", "mart_reshaped", "mart_kpis", "mart_tags")} == {"copied"}
    assert all(counts == (0, 0) for counts in _same_rows(build, serving).values())
    # Parquet: the unchanged mart's file and May's file are not written again, April's is
    assert [(parquet / file).stat().st_mtime_ns == mtime for file, mtime in untouched.items()] == [True, False, True]
    _parquet_matches(serving)  # every mart, the re-written and the untouched ones
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select list(distinct publish_id order by publish_id) from meta.publish_log").fetchone()[
            0
        ] == ["run-1", "run-2"]

    assert {c.how for c in publish("run-3").changes.values()} == {"unchanged"}
    # files gone missing are written again though nothing changed; the layout before partition folders (one
    # fct_orders.parquet) and a folder of a mart no longer built are cleared away
    (parquet / "fct_orders" / "2026-05.parquet").unlink()
    (parquet / "mart_static.parquet").unlink()
    (parquet / "fct_orders.parquet").write_bytes(b"old layout")
    (parquet / "mart_old").mkdir()
    (parquet / "mart_old" / "2026-01.parquet").write_bytes(b"old mart")
    assert {c.how for c in publish("run-3b").changes.values()} == {"unchanged"}
    _parquet_matches(serving)
    serving.write_bytes(b"not a duckdb file")  # damaged: the next publish starts empty, and says so
    fourth = publish("run-4")
    assert {c.how for c in fourth.changes.values()} == {"copied"}
    assert all(counts == (0, 0) for counts in _same_rows(build, serving).values())


def test_a_mart_with_processed_at_is_compared_by_its_rows_stamps(tmp_path):
    from dagster_project.warehouse import publish as publishing

    build, serving = tmp_path / "build.duckdb", tmp_path / "serving" / "warehouse.duckdb"
    serving.parent.mkdir()
    publish = lambda run: publishing.publish(build, serving, run, dt.date(2026, 6, 30), "test")  # noqa: E731
    # 120 deliveries over April to July (30, 31, 30, 29 rows), all written by the first run
    _make_build(
        build,
        [
            """create table marts.fct_deliveries as
               select i as delivery_id, date '2026-04-01' + i::integer as delivered_date, 1.0 * i as score,
                   timestamp '2026-07-29 01:00:00' as processed_at
               from range(120) as t(i)"""
        ],
    )
    publish("run-1")
    july = serving.parent / "parquet" / "fct_deliveries" / "2026-07.parquet"
    july_written = july.stat().st_mtime_ns

    later = "timestamp '2026-07-30 01:00:00'"  # the next run's stamp
    _make_build(
        build,
        [
            f"update marts.fct_deliveries set score = -1, processed_at = {later} where delivery_id = 1",  # April
            # May: a row gone and another written, so the count stays
            "delete from marts.fct_deliveries where delivery_id = 31",
            f"insert into marts.fct_deliveries values (1000, date '2026-05-20', 5.0, {later})",
            "delete from marts.fct_deliveries where delivery_id = 70",  # June: a row gone
        ],
    )
    change = publish("run-2").changes["marts.fct_deliveries"]
    assert change == publishing.TableChange(partitions=4, rewritten=3, how="partitions")
    assert _same_rows(build, serving)["fct_deliveries"] == (0, 0)
    assert july.stat().st_mtime_ns == july_written
    # only the changed days' rows were written again: April 2 (delivery 1) and May 20 (deliveries 49 and 1000); the
    # day of delivery 31 (May 2) and of 70 (June 10) are gone, the months' other 87 rows stay as they were
    assert change.rows == 3
    _parquet_matches(serving)

    # the stamps are the contract (every dbt run that writes a row stamps it): the publish reads nothing else of
    # an unchanged partition, so a row changed in place without a new stamp, which no run does, goes unseen
    _make_build(build, ["update marts.fct_deliveries set score = -2 where delivery_id = 100"])  # July
    assert publish("run-3").changes["marts.fct_deliveries"].how == "unchanged"


def test_every_mart_with_processed_at_stamps_it_with_its_runs_start():
    """The publish compares such marts by processed_at alone (publish.WRITTEN_AT): each must stamp every row it
    writes with the run's start, not pass on an upstream row's stamp."""
    from dagster_project.warehouse.publish import WRITTEN_AT

    manifest = json.loads((REPO / "dbt" / "target" / "manifest.json").read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["schema"] == "marts"
    ]
    stamped = {node["name"] for node in marts if WRITTEN_AT in node["columns"]}
    assert stamped == {"fct_deliveries", "mart_customer_rfm", "mart_factory_scorecard"}
    for node in marts:
        if node["name"] in stamped:
            assert f"{{{{ run_started_at_utc() }}}} as {WRITTEN_AT}" in node["raw_code"], node["name"]


def _orders_build(path: Path, months: int = 3, rows: int = 300_000) -> None:
    _make_build(
        path,
        [
            f"""create or replace table marts.fct_orders as
                select i as order_id, date '2026-01-01' + (i % ({months} * 30))::integer as ordered_date,
                    hash(i) % 1000 as amount
                from range({rows}) as t(i)""",
            "create or replace table marts.mart_static as select 1 as x",
        ],
    )


def _parquet_matches(serving: Path) -> None:
    """Every mart has its Parquet file (PARTITIONS marts: a folder of files) and nothing else is there; together
    the files hold exactly the mart's rows (a stale or missing partition file would add or lack rows)."""
    from dagster_project.warehouse.publish import PARTITIONS

    parquet = serving.parent / "parquet"
    with duckdb.connect(str(serving), read_only=True) as con:
        names = [
            r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        ]
        assert sorted(p.name for p in parquet.iterdir()) == sorted(
            name if name in PARTITIONS else f"{name}.parquet" for name in names
        )
        for name in names:
            files = f"{parquet}/{name}/*.parquet" if name in PARTITIONS else f"{parquet}/{name}.parquet"
            difference = con.execute(
                f"""select count(*) from (
                    (from marts.{name} except all from '{files}')
                    union all (from '{files}' except all from marts.{name}))"""
            ).fetchone()[0]
            assert difference == 0, name


def test_publish_recovers_from_a_kill_between_the_swaps_a_damaged_block_and_a_stale_wal(tmp_path, monkeypatch):
    from dagster_project.warehouse import publish as publishing

    build, serving = tmp_path / "build.duckdb", tmp_path / "serving" / "warehouse.duckdb"
    serving.parent.mkdir()
    publish = lambda run: publishing.publish(build, serving, run, dt.date(2026, 6, 30), "test")  # noqa: E731
    _orders_build(build)
    _make_build(build, ["create table marts.mart_gone as select 1 as y"])
    publish("run-1")

    # killed after the database swap, before the Parquet swap: the database has the new rows, Parquet the old ones
    _make_build(
        build,
        [
            "update marts.mart_static set x = 2",
            "update marts.fct_orders set amount = amount + 1 where order_id = 7",  # one partition file
            "drop table marts.mart_gone",
        ],
    )
    real_replace = publishing.os.replace

    def replace_then_die(src, dst):
        real_replace(src, dst)
        if Path(dst) == serving:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(publishing.os, "replace", replace_then_die)
    with pytest.raises(KeyboardInterrupt):
        publish("run-2")
    monkeypatch.setattr(publishing.os, "replace", real_replace)
    shutil.rmtree(serving.parent / ".staging")  # as a publish killed while clearing it would leave things
    third = publish("run-3")  # its rows went out with run-2
    assert {third.changes[name].how for name in ("marts.mart_static", "marts.fct_orders")} == {"unchanged"}
    _parquet_matches(serving)  # ... and its Parquet file now too; mart_gone's file is gone

    # a damaged data block of fct_orders: the copy opens, and fails only when the block is read
    with duckdb.connect(str(serving), read_only=True) as con:
        block, size = con.execute(
            "select max(block_id), any_value(block_size) from pragma_storage_info('marts.fct_orders'), "
            "pragma_database_size()"
        ).fetchone()
    with open(serving, "r+b") as file:
        file.seek(3 * 4096 + block * size + 1000)  # after the file's three header blocks
        file.write(b"\xff" * 5000)
    with duckdb.connect(str(serving), read_only=True) as con:
        con.execute("select count(*) from meta.publish_log").fetchone()
        with pytest.raises(duckdb.Error, match="checksum"):
            con.execute("select sum(hash(o)) from marts.fct_orders as o").fetchone()
    assert {c.how for c in publish("run-4").changes.values()} == {"copied"}
    assert all(counts == (0, 0) for counts in _same_rows(build, serving).values())
    _parquet_matches(serving)

    # a WAL beside the serving file (someone wrote to it): not copied, and gone after the swap
    Path(f"{serving}.wal").write_bytes(b"stale")
    assert {c.how for c in publish("run-5").changes.values()} == {"copied"}
    assert not Path(f"{serving}.wal").exists()
    assert all(counts == (0, 0) for counts in _same_rows(build, serving).values())


def test_publish_writes_the_file_compact_again_and_survives_partition_expressions_that_change_and_empty_marts(
    tmp_path, monkeypatch
):
    from dagster_project.warehouse import publish as publishing

    build, serving = tmp_path / "build.duckdb", tmp_path / "serving" / "warehouse.duckdb"
    serving.parent.mkdir()
    publish = lambda run: publishing.publish(build, serving, run, dt.date(2026, 6, 30), "test")  # noqa: E731
    _orders_build(build, months=4)
    publish("run-1")
    _make_build(build, ["delete from marts.fct_orders where ordered_date >= '2026-03-01'"])  # two months of four
    assert publish("run-2").changes["marts.fct_orders"].how == "partitions"
    assert sorted(p.stem for p in (serving.parent / "parquet" / "fct_orders").iterdir()) == ["2026-01", "2026-02"]
    _parquet_matches(serving)
    with duckdb.connect(str(serving), read_only=True) as con:
        free, used = con.execute("select free_blocks, used_blocks from pragma_database_size()").fetchone()
    assert free * 2 > used  # the deleted partitions left free blocks
    monkeypatch.setattr(publishing, "COMPACT_FREE_BYTES", 0)
    assert publish("run-3").changes["marts.fct_orders"].how == "copied"  # started empty: compact
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select free_blocks from pragma_database_size()").fetchone()[0] * 2 <= used

    # the same rows, partitioned another way: the DuckDB table stays, its Parquet files are all written again
    monkeypatch.setattr(publishing, "PARTITIONS", {"fct_orders": "strftime(ordered_date + 15, '%Y-%m')"})
    assert publish("run-3b").changes["marts.fct_orders"].how == "unchanged"
    _parquet_matches(serving)

    monkeypatch.setattr(publishing, "PARTITIONS", {"fct_orders": "month(a_renamed_column)"})
    _orders_build(build, months=3)
    assert publish("run-4").changes["marts.fct_orders"] == publishing.TableChange(1, 1, "copied")
    assert all(counts == (0, 0) for counts in _same_rows(build, serving).values())
    _parquet_matches(serving)

    # a large mart with no rows: one file without rows keeps its folder readable; it goes when rows come back
    monkeypatch.setattr(publishing, "PARTITIONS", {"fct_orders": "strftime(ordered_date, '%Y-%m')"})
    _make_build(build, ["delete from marts.fct_orders", "create table marts.mart_empty as select 1 as e where false"])
    assert publish("run-5").changes["marts.mart_empty"] == publishing.TableChange(0, 0, "copied")  # no partitions
    assert [p.name for p in (serving.parent / "parquet" / "fct_orders").iterdir()] == ["empty.parquet"]
    _parquet_matches(serving)
    _orders_build(build, months=1)
    publish("run-6")
    assert [p.name for p in (serving.parent / "parquet" / "fct_orders").iterdir()] == ["2026-01.parquet"]
    _parquet_matches(serving)

    # partitions whose names come out alike share a file: January ('2026_02') and February ('2026 02' -> 2026_02);
    # a change in January writes the shared file again with both months' rows
    collide = "case when month(ordered_date) % 2 = 0 then strftime(ordered_date, '%Y %m') "
    collide += "else strftime(ordered_date + interval 1 month, '%Y_%m') end"
    monkeypatch.setattr(publishing, "PARTITIONS", {"fct_orders": collide})
    monkeypatch.setattr(publishing, "COMPACT_FREE_BYTES", 2**40)  # a copy of the serving file, not started empty
    _orders_build(build, months=4)
    publish("run-7")
    _make_build(build, ["update marts.fct_orders set amount = amount + 1 where ordered_date < '2026-02-01'"])
    assert publish("run-8").changes["marts.fct_orders"] == publishing.TableChange(4, 1, "partitions")
    assert sorted(p.name for p in (serving.parent / "parquet" / "fct_orders").iterdir()) == [
        "2026_02.parquet",
        "2026_04.parquet",
    ]
    _parquet_matches(serving)

    # the expression names its columns in quotes and another case, and by the mart's name; one of them is called
    # like a column of the publish's own temp tables (part); a string literal holds a double quote. Rows are
    # grouped by the columns named (ordered_date, part) and the expression is worked out per group, seeing those
    # columns alone (the row as JSON has two keys): a change in January re-writes January alone
    expression = """'"' || strftime("Ordered_Date", '%Y-%m') || fct_orders.part || '-'"""
    expression += """ || json_array_length(json_keys(to_json(fct_orders))) || '"'"""
    monkeypatch.setattr(publishing, "PARTITIONS", {"fct_orders": expression})
    _orders_build(build, months=3)
    _make_build(build, ["alter table marts.fct_orders add column part varchar default '-x'"])
    assert publish("run-8b").changes["marts.fct_orders"].how == "copied"  # its columns changed
    _make_build(build, ["update marts.fct_orders set amount = amount + 1 where ordered_date < '2026-01-05'"])
    assert publish("run-8c").changes["marts.fct_orders"] == publishing.TableChange(3, 1, "partitions")
    assert all(counts == (0, 0) for counts in _same_rows(build, serving).values())
    assert sorted(p.stem for p in (serving.parent / "parquet" / "fct_orders").iterdir()) == [
        "_2026-01-x-2_",
        "_2026-02-x-2_",
        "_2026-03-x-2_",
    ]
    _parquet_matches(serving)

    # a mart column named like the publish's own: a one-line error naming it, the serving file untouched
    before = serving.read_bytes()
    _make_build(build, ["alter table marts.mart_static add column _publish_part integer"])
    with pytest.raises(ValueError, match=r"^marts.mart_static: column _publish_part: names starting with _publish_"):
        publish("run-9")
    assert serving.read_bytes() == before
