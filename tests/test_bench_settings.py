"""make bench's settings (BENCH_* in the environment, or the matching flags): a bad value is argparse's one-line
error naming the setting and the value, before anything is generated or built; good values arrive typed."""

from __future__ import annotations

import pytest

from bench.run import parse_args

SETTINGS = ("BENCH_DATASETS", "BENCH_RUNS", "BENCH_DAILY_RUNS", "BENCH_PANDAS_MEM_GB")


@pytest.fixture(autouse=True)
def no_bench_settings(monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("env", "argv", "error"),
    [
        ({"BENCH_RUNS": "abc"}, [], "argument --runs: BENCH_RUNS must be a whole number >= 1, not 'abc'"),
        ({}, ["--runs", "0"], "argument --runs: BENCH_RUNS must be a whole number >= 1, not '0'"),
        (
            {"BENCH_DAILY_RUNS": "5"},
            [],
            "argument --daily-runs: BENCH_DAILY_RUNS must be a whole number from 1 to 3 (the days held out of a "
            "TPC-H full build), not '5'",
        ),
        (
            {"BENCH_PANDAS_MEM_GB": "-1"},
            [],
            "argument --pandas-mem-gb: BENCH_PANDAS_MEM_GB must be a number > 0, not '-1'",
        ),
        ({"BENCH_DATASETS": "sim-1,sim-x"}, [], "BENCH_DATASETS has unknown dataset(s) sim-x: use sim-1, sim-10"),
    ],
    ids=["runs-not-a-number", "runs-zero-flag", "daily-runs-too-many", "pandas-memory-negative", "unknown-dataset"],
)
def test_a_bad_setting_is_one_line_naming_it(monkeypatch, capsys, env, argv, error):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        parse_args(argv)
    assert stopped.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"python -m bench.run: error: {error}"), last


def test_settings_from_the_environment_arrive_typed_and_flags_win(monkeypatch):
    defaults = parse_args([])
    assert (defaults.runs, defaults.daily_runs, defaults.pandas_mem_gb) == (3, 3, 16.0)
    monkeypatch.setenv("BENCH_RUNS", "2")
    monkeypatch.setenv("BENCH_DAILY_RUNS", "1")
    monkeypatch.setenv("BENCH_PANDAS_MEM_GB", "8.5")
    args = parse_args([])
    assert (args.runs, args.daily_runs, args.pandas_mem_gb) == (2, 1, 8.5)
    assert parse_args(["--runs", "5"]).runs == 5
