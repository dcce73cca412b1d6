"""bench.profile: selects profiled in turn on a warehouse file opened read-only, compared row for row."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from tests.conftest import REPO


def profile(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench.profile", *args], cwd=REPO, capture_output=True, text=True)


def test_profile_alternates_the_files_shows_their_operators_and_compares_their_rows(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.orders as select 'o' || i as order_id, i % 7 as units from range(20000) t(i)")
    before = db.read_bytes()
    sql = {
        # the same rows two ways (one reads the --setup temp table), each with its own run stamp; and other rows
        "semi.sql": "select order_id, units, 1 as stamp from warehouse.marts.orders "
        "where units in (select units from threshold)",
        "plain.sql": 'select order_id, units, 2 as stamp from "warehouse"."marts"."orders" where units = 3;',
        "other.sql": "select order_id, units, 1 as stamp from warehouse.marts.orders where units = 4",
        # the same rows without the ignored column: a select that dropped a column (as a rewrite might)
        "narrow.sql": "select order_id, units from warehouse.marts.orders where units = 3",
    }
    for name, text in sql.items():
        (tmp_path / name).write_text(text)
    setup = "create temp table threshold as select 3 as units"

    done = profile(
        str(db),
        str(tmp_path / "semi.sql"),
        str(tmp_path / "plain.sql"),
        "--runs",
        "2",
        "--json",
        "--ignore",
        "stamp",
        "--setup",
        setup,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    runs, summary = lines[:4], lines[4:]
    assert [(r["run"], r["sql"].split("/")[-1]) for r in runs] == [
        (1, "semi.sql"),
        (1, "plain.sql"),
        (2, "semi.sql"),
        (2, "plain.sql"),
    ]
    expected_rows = sum(1 for i in range(20000) if i % 7 == 3)
    for run in runs:
        assert run["rows"] == expected_rows and run["wall_s"] > 0
        scans = [op for op in run["operators"] if op["type"] == "TABLE_SCAN" and "orders" in op["on"]]
        assert scans, run["operators"]
        seconds = [op["s"] for op in run["operators"]]
        assert seconds == sorted(seconds, reverse=True)
    assert [s["same_rows_as_first"] for s in summary] == [None, True]
    assert summary[0]["walls_s"] == [runs[0]["wall_s"], runs[2]["wall_s"]]
    assert db.read_bytes() == before  # opened read-only: the temp tables never reach the file

    # without --ignore the stamps differ; a file with other rows fails the comparison (exit 3)
    stamped = profile(str(db), str(tmp_path / "semi.sql"), str(tmp_path / "plain.sql"), "--runs", "1", "--setup", setup)
    assert stamped.returncode == 3 and "ROWS DIFFER" in stamped.stdout, stamped.stdout
    other = profile(str(db), str(tmp_path / "semi.sql"), str(tmp_path / "other.sql"), "--runs", "1", "--setup", setup)
    assert other.returncode == 3 and "other.sql: median" in other.stdout and "ROWS DIFFER" in other.stdout
    # --ignore leaves out a column where it appears; other columns than the first file's are other rows, told with
    # the medians, not an error
    narrow = profile(
        str(db), str(tmp_path / "plain.sql"), str(tmp_path / "narrow.sql"), "--runs", "1", "--ignore", "stamp"
    )
    assert narrow.returncode == 0 and "narrow.sql: median" in narrow.stdout, narrow.stdout + narrow.stderr
    wide = profile(str(db), str(tmp_path / "plain.sql"), str(tmp_path / "narrow.sql"), "--runs", "1")
    assert wide.returncode == 3 and "narrow.sql: median" in wide.stdout and "ROWS DIFFER" in wide.stdout, wide.stderr


def test_profile_bad_input_is_one_line(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).close()
    (tmp_path / "bad.sql").write_text("select * from marts.missing_table")
    missing = profile(str(db), str(tmp_path / "nope.sql"))
    assert missing.returncode == 2 and "no SQL file" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "not_a_database.duckdb").write_text("not a database")
    unreadable = profile(str(tmp_path / "not_a_database.duckdb"), str(tmp_path / "bad.sql"))
    assert unreadable.returncode == 1 and "Traceback" not in unreadable.stderr, unreadable.stderr
    assert unreadable.stderr.startswith(f"error: opening {tmp_path / 'not_a_database.duckdb'}: ")
    failing = profile(str(db), str(tmp_path / "bad.sql"))
    assert failing.returncode == 1 and "Traceback" not in failing.stderr
    [line] = failing.stderr.strip().splitlines()
    assert line.startswith(f"error: {tmp_path / 'bad.sql'}: ") and "missing_table" in line
