"""The commands explain themselves: `--help` on the CLI and on every command prints usage and runs nothing."""

from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path

import pytest

from dagster_project.cli import COMMANDS, main

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("argv", [["--help"], ["-h"], *([name, "--help"] for name in COMMANDS)])
def test_help_prints_usage_and_runs_nothing(argv, tmp_path, monkeypatch, capsys):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("AS_OF", "not-a-date")  # a run would stop on this setting with code 2
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m dagster_project.cli"), out
    assert "exit codes: 0 done; 1 the run failed" in out
    if argv[0] in COMMANDS:
        assert COMMANDS[argv[0]][0] in out.replace("\n", " ") and "reads: " in out
    else:
        assert all(name in out for name in COMMANDS)
    assert not data_dir.exists()  # nothing ran: a run creates DATA_DIR first


@pytest.mark.parametrize("argv", [["bogus"], ["build", "--no-such-flag"]])
def test_a_bad_command_line_is_one_line_and_exit_2(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(argv) == 2
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith("error: ") and "--help" in line, line
    assert not (tmp_path / "data").exists()


def test_make_help_lists_every_target():
    done = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    targets = {line.split()[1] for line in done.stdout.splitlines() if line.strip().startswith("make ")}
    assert {"build", "daily", "backfill", "test", "test-quick", "lint", "docs", "dev", "clean"} <= targets


def test_a_bad_verbose_setting_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VERBOSE", "yes")
    assert main(["build"]) == 2
    assert capsys.readouterr().err.strip() == "error: VERBOSE='yes' is not 0 or 1"


def test_a_green_build_prints_stage_lines_and_the_summary_in_at_most_40_lines(warehouse):
    """dbt's per-node lines and Dagster's events go to the run's log file, named in the summary; the terminal
    gets one line or two per stage and the summary."""
    lines = warehouse.output.strip().splitlines()
    assert len(lines) <= 40, warehouse.output
    assert not any(" START " in line or " PASS " in line for line in lines), warehouse.output
    assert "Warning" not in warehouse.output  # library warnings are in the log file, not on the terminal
    for stage in ("raw__extract: ", "raw_gates: ", "dbt_models: dbt build: ", "serving__warehouse: published "):
        assert any(stage in line for line in lines), (stage, warehouse.output)
    [log_line] = [line for line in lines if line.startswith("log: ")]
    log = Path(log_line.split()[1])
    assert log.parent == warehouse.data_dir / "logs"
    text = log.read_text()
    assert "START sql" in text and "PASS " in text  # dbt's per-node log
    assert 'Started execution of step "dbt_models"' in text  # Dagster's DEBUG events
    assert "rows loaded" in text  # the stage lines too


def _run(command: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DATA_DIR": str(data_dir), **env}
    full_env.pop("MAKEFLAGS", None)
    return subprocess.run(command, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=120)


def test_exit_codes_stay_distinct_through_bin_warehouse_and_are_named_by_make(tmp_path):
    """1 = the run failed (here: another run holds the build lock), 2 = a bad setting. bin/warehouse exits with
    the CLI's code; make exits 2 for any failed recipe, and its last line names the CLI's code."""
    data_dir = tmp_path / "data"
    (data_dir / "build").mkdir(parents=True)
    bad = {"AS_OF": "not-a-date"}
    with open(data_dir / "build" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a run in progress: the next one fails with code 1
        failed = _run(["bin/warehouse", "build"], data_dir)
        make_failed = _run(["make", "--no-print-directory", "build"], data_dir)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert failed.stderr.strip().splitlines()[-1].startswith("error: another run is using")
    setting = _run(["bin/warehouse", "build"], data_dir, **bad)
    assert (
        setting.returncode == 2
        and setting.stderr.strip() == "error: AS_OF='not-a-date' is not a date: use YYYY-MM-DD, e.g. AS_OF=2026-06-30"
    ), setting.stderr
    assert _run(["bin/warehouse", "daily", "--help"], data_dir, **bad).returncode == 0
    assert _run(["bin/warehouse", "bogus"], data_dir).returncode == 2
    make_setting = _run(["make", "--no-print-directory", "build"], data_dir, **bad)
    for done, code in ((make_failed, 1), (make_setting, 2)):
        assert done.returncode == 2  # GNU make's own code for any failed recipe
        assert done.stderr.strip().splitlines()[-1].endswith(f"build] Error {code}"), done.stderr
