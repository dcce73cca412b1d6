"""Start-up overhead, one component per process so none rides on another's warm imports.

    python -m bench.startup interpreter|definitions|dbt_parse|dbt_parse_full|gx|executor TARGET_PATH

Prints {"s": seconds} measured inside the process after the interpreter is up (the harness times
`interpreter` as the wall time of a bare `python -c pass` process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from dagster_project.settings import REPO_ROOT


def _dbt_parse(target_path: str, full: bool) -> None:
    dbt_dir = REPO_ROOT / "dbt"
    args = [
        str(Path(sys.executable).parent / "dbt"),
        "parse",
        "--quiet",
        "--project-dir",
        str(dbt_dir),
        "--profiles-dir",
        str(dbt_dir),
        "--target-path",
        target_path,
    ]
    if full:
        args.append("--no-partial-parse")
    subprocess.run(args, check=True, capture_output=True, env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})


def measure(component: str, target_path: str) -> float:
    started = time.perf_counter()
    if component == "definitions":
        import dagster_project.definitions  # noqa: F401
    elif component == "dbt_parse":
        _dbt_parse(target_path, full=False)
    elif component == "dbt_parse_full":
        _dbt_parse(target_path, full=True)
    elif component == "gx":
        from dagster_project.quality import gx_runner

        gx_runner.context()
    elif component == "executor":
        import dagster as dg

        @dg.op
        def noop() -> None:
            return None

        @dg.job(executor_def=dg.in_process_executor)
        def empty() -> None:
            noop()

        started = time.perf_counter()  # imports are the `definitions` component; this is run set-up only
        with dg.DagsterInstance.ephemeral() as instance:
            empty.execute_in_process(instance=instance)
    elif component != "interpreter":
        raise SystemExit(f"error: unknown start-up component {component!r}")
    return time.perf_counter() - started


if __name__ == "__main__":
    print("\n" + json.dumps({"s": measure(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")}))
