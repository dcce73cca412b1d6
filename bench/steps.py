"""Where a run's time went: each step of a Dagster run, its publish line, and its dbt build's slowest models.

    python -m bench.steps                                           # the newest run of $DAGSTER_HOME
    python -m bench.steps --home /tmp/loyalty-bench/dagster_home --runs 3 --dbt-target /tmp/checkout/dbt/target

For each of the newest N runs (oldest first): the run's wall time (RUN_START to its end) and each step's time
(STEP_START to STEP_SUCCESS or STEP_FAILURE), from Dagster's event log; the publish asset's `publish: ...` line;
and, from the run's own dbt target folder (dagster-dbt names it dbt_models-<run id[:7]>-...), the K slowest nodes
of run_results.json, each with its slowest SQL statement from the folder's dbt.log (JSON lines: a SQLQuery and,
on the same thread, its SQLQueryStatus with the elapsed seconds). BENCHMARKS.md's figures of where a daily run's
time goes come from this command run on a bench's Dagster home (BENCH_WORK/dagster_home) and checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from dagster_project.settings import REPO_ROOT


def run_steps(instance, run) -> dict:
    """One run's wall time, steps (in start order) and publish lines, from its event log."""
    from dagster import DagsterEventType as Event

    started: dict[str, float] = {}
    steps, notes, run_start, run_end = [], [], None, None
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            if entry.user_message.startswith("publish: "):
                notes.append(entry.user_message)
            continue
        kind = event.event_type
        if kind == Event.RUN_START:
            run_start = entry.timestamp
        elif kind in (Event.RUN_SUCCESS, Event.RUN_FAILURE, Event.RUN_CANCELED):
            run_end = entry.timestamp
        elif kind == Event.STEP_START:
            started[event.step_key] = entry.timestamp
        elif kind in (Event.STEP_SUCCESS, Event.STEP_FAILURE) and event.step_key in started:
            start = started.pop(event.step_key)
            ok = kind == Event.STEP_SUCCESS
            steps.append({"step": event.step_key, "start": start, "s": entry.timestamp - start, "ok": ok})
    steps.sort(key=lambda step: step["start"])
    origin = run_start or (steps[0]["start"] if steps else 0.0)
    for step in steps:
        step["start"] -= origin
    tags = run.tags
    days = tags.get("dagster/partition") or "..".join(
        filter(None, (tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")))
    )
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "days": days or None,
        "status": run.status.value,
        "wall_s": run_end - run_start if run_start and run_end else None,
        "steps": steps,
        "publish": notes,
    }


def _statement(sql: str) -> str:
    """A statement's first words, without dbt's /* {...} */ comment: enough to tell which one it was."""
    return re.sub(r"\s+", " ", re.sub(r"/\*.*?\*/", "", sql, flags=re.S)).strip()[:90]


def dbt_nodes(folder: Path, top: int) -> dict:
    """The `top` slowest nodes of a dbt target folder's run_results.json, each with its slowest SQL statement."""
    results = json.loads((folder / "run_results.json").read_text())
    slowest: dict[str, tuple[float, str]] = {}
    waiting: dict[str, dict] = {}
    logs = sorted(folder.glob("dbt.log*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
    for log in logs:  # dbt rotates dbt.log: dbt.log.2, dbt.log.1, then dbt.log, oldest first
        for line in log.open(encoding="utf-8", errors="replace"):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            name, thread = entry["info"]["name"], entry["info"]["thread"]
            if name == "SQLQuery":
                waiting[thread] = entry["data"]
            elif name == "SQLQueryStatus" and thread in waiting:
                query = waiting.pop(thread)
                node = (query.get("node_info") or {}).get("unique_id")
                if node and entry["data"]["elapsed"] > slowest.get(node, (-1.0, ""))[0]:
                    slowest[node] = (entry["data"]["elapsed"], _statement(query["sql"]))
    nodes = sorted(results["results"], key=lambda r: r["execution_time"], reverse=True)[:top]
    statements = [slowest.get(r["unique_id"], (None, "")) for r in nodes]
    return {
        "folder": str(folder),
        "elapsed_s": results["elapsed_time"],
        "nodes_count": len(results["results"]),
        "nodes": [
            {
                "node": r["unique_id"],
                "status": r["status"],
                "s": r["execution_time"],
                "slowest_sql_s": seconds,
                "slowest_sql": sql,
            }
            for r, (seconds, sql) in zip(nodes, statements, strict=True)
        ],
    }


def summarise(home: Path, dbt_target: Path, runs: int, top: int) -> list[dict]:
    """The newest `runs` runs of the Dagster instance in `home`, oldest first, each with its dbt build if kept."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home)  # dagster.yaml's event log (dagster_project/event_log.py) reads it
    instance = dg.DagsterInstance.from_config(str(home))
    out = []
    for run in reversed(instance.get_runs(limit=runs)):
        summary = run_steps(instance, run)
        folders = sorted(dbt_target.glob(f"dbt_models-{run.run_id[:7]}-*/run_results.json"))
        summary["dbt"] = dbt_nodes(folders[0].parent, top) if folders else None
        out.append(summary)
    return out


def render(summary: dict) -> str:
    wall = f"{summary['wall_s']:.1f} s" if summary["wall_s"] is not None else "not finished"
    lines = [f"run {summary['run_id'][:8]} {summary['job']} {summary['days'] or ''} {summary['status']}: {wall}"]
    lines += [
        f"  {step['step']:<44} +{step['start']:7.1f} s {step['s']:8.1f} s{'' if step['ok'] else '  FAILED'}"
        for step in summary["steps"]
    ]
    lines += [f"  {note[:300]}" for note in summary["publish"]]
    dbt = summary["dbt"]
    if dbt is None:
        lines.append("  dbt: no target folder of this run (dagster-dbt keeps the newest 10)")
        return "\n".join(lines)
    shown = f"the {len(dbt['nodes'])} slowest of {dbt['nodes_count']} nodes"
    lines.append(f"  dbt {dbt['folder']}: {dbt['elapsed_s']:.1f} s; {shown}")
    for node in dbt["nodes"]:
        sql = f"  slowest statement {node['slowest_sql_s']:.1f} s: {node['slowest_sql']}" if node["slowest_sql"] else ""
        lines.append(f"    {node['node'].split('.', 2)[-1]:<50} {node['s']:7.1f} s {node['status']}{sql}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.steps", description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("DAGSTER_HOME") or REPO_ROOT / "dagster_home"))
    parser.add_argument("--dbt-target", type=Path, default=REPO_ROOT / "dbt" / "target")
    parser.add_argument("--runs", type=int, default=1, help="the newest N runs (default 1)")
    parser.add_argument("--top", type=int, default=10, help="dbt nodes shown per run (default 10)")
    parser.add_argument("--json", action="store_true", help="one JSON object per run instead of text")
    args = parser.parse_args(argv)
    if not (args.home / "dagster.yaml").exists():
        parser.error(f"no Dagster instance in --home {args.home} (no dagster.yaml)")
    if args.runs < 1 or args.top < 1:
        parser.error(f"--runs and --top must be at least 1, not {args.runs} and {args.top}")
    summaries = summarise(args.home, args.dbt_target, args.runs, args.top)
    if not summaries:
        parser.error(f"no runs in the Dagster instance in --home {args.home}")
    for summary in summaries:
        print(json.dumps(summary) if args.json else render(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
