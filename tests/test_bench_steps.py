"""bench.steps: where a real build's time went, read back from its Dagster event log and its dbt target folder."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def steps(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench.steps", *args], cwd=REPO, capture_output=True, text=True)


def test_steps_reads_a_builds_steps_publish_line_and_slowest_dbt_models(warehouse):
    home = warehouse.data_dir.parent / (warehouse.data_dir.name + "-dagster-home")
    done = steps("--home", str(home), "--json", "--top", "5")
    assert done.returncode == 0, done.stderr[-3000:]
    [run] = [json.loads(line) for line in done.stdout.splitlines()]
    assert run["status"] == "SUCCESS" and run["job"] == "build"
    names = [step["step"] for step in run["steps"]]
    assert any("dbt" in name for name in names) and any("serving" in name for name in names), names
    assert all(step["ok"] and step["s"] > 0 and step["start"] >= 0 for step in run["steps"])
    # steps run one after another in-process: together they fit in the run's wall time
    assert sum(step["s"] for step in run["steps"]) <= run["wall_s"]
    [publish] = run["publish"]
    assert publish.startswith("publish: ")
    dbt = run["dbt"]
    assert dbt["folder"].split("/")[-1].startswith("dbt_models-" + run["run_id"][:7])
    assert len(dbt["nodes"]) == 5 and dbt["nodes_count"] > 5
    seconds = [node["s"] for node in dbt["nodes"]]
    assert seconds == sorted(seconds, reverse=True) and seconds[0] > 0
    models = [node for node in dbt["nodes"] if node["node"].startswith("model.")]
    assert models, dbt["nodes"]
    for node in models:  # a model's slowest statement, read from dbt.log, is part of the model's own time
        assert node["slowest_sql"] and 0 < node["slowest_sql_s"] <= node["s"], node
    text = steps("--home", str(home))
    assert text.returncode == 0 and text.stdout.startswith(f"run {run['run_id'][:8]} build ")
    assert dbt["nodes"][0]["node"].split(".", 2)[-1] in text.stdout


def test_steps_without_a_dagster_instance_is_a_one_line_error(tmp_path):
    done = steps("--home", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"python -m bench.steps: error: no Dagster instance in --home {tmp_path} (no dagster.yaml)"
    )
