"""Bad settings stop the CLI (what every make target runs) with one line naming the setting and exit code 2,
before anything heavy is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

CASES = [
    ({"SOURCE": "shopify"}, "SOURCE='shopify' is unknown"),
    ({"AS_OF": "2026-13-01"}, "AS_OF='2026-13-01' is not a date"),
    ({"AS_OF": "2999-01-01"}, "AS_OF='2999-01-01' is in the future"),
    ({"SCALE": "lots"}, "SCALE='lots' is not a float"),
    ({"SEED": "-1"}, "SEED='-1' is out of range"),
    ({"DATA_DIR": "/proc/loyalty-warehouse"}, "DATA_DIR=/proc/loyalty-warehouse is not writable"),
    ({"DBT_VARS": '{"outreach_sms_cap": '}, "DBT_VARS is not JSON"),
    ({"DBT_VARS": '{"no_such_var": 1}'}, "DBT_VARS names unknown dbt var 'no_such_var'"),
    ({"SCHEDULE_TZ": "Mars/Olympus"}, "SCHEDULE_TZ='Mars/Olympus' is not a time zone"),
]


@pytest.mark.parametrize(("env", "message"), CASES, ids=[next(iter(env)) for env, _ in CASES])
def test_bad_setting_gives_one_line_and_exit_2(env, message):
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "build"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], done.stderr


def test_daily_without_date_names_the_setting():
    env = {k: v for k, v in os.environ.items() if k != "DATE"}
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "daily"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stderr.strip() == "error: DATE is not set: run e.g. make daily DATE=2026-06-30"
