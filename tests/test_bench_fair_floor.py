"""bench.baselines.fair_floor: its marts count as the pipeline's only when every row is the same (run-time stamps
and float noise aside), so a floor that computes something else cannot pass as a floor."""

from __future__ import annotations

import duckdb

from bench.baselines.fair_floor import fingerprints


def _mart(path, rows: list[tuple]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.m (customer_id varchar, score double, processed_at timestamp)")
        con.executemany("insert into marts.m values (?, ?, ?)", rows)


def test_fingerprints_ignore_order_stamps_and_float_noise_but_not_a_changed_value(tmp_path):
    _mart(tmp_path / "a.duckdb", [("C1", 0.3, "2026-01-01"), ("C2", 1.0, "2026-01-01")])
    _mart(tmp_path / "b.duckdb", [("C2", 1.0, "2026-02-02"), ("C1", 0.1 + 0.2, "2026-02-02")])  # 0.30000000000000004
    _mart(tmp_path / "c.duckdb", [("C1", 0.3, "2026-01-01"), ("C2", 1.5, "2026-01-01")])
    _mart(tmp_path / "d.duckdb", [("C1", 0.3, "2026-01-01")])
    a, b, c, d = (fingerprints(tmp_path / f"{x}.duckdb") for x in "abcd")
    assert a == b
    assert a["m"][0] == c["m"][0] == 2 and a != c  # same rows count, one value differs
    assert d["m"][0] == 1 and a != d
