"""Before / after of a change: a full build, then one daily run on top, for two or more checkouts on one dataset,
measured as `make bench` measures them (bench.run's environment, TPC-H landing folder and next-day files;
bench.measure for wall time and peak RSS of the process tree), the checkouts alternating run by run.

    git worktree add /tmp/before <commit>
    python -m bench.ab tpch-sf1 /tmp/before . --runs 2     # one JSON line per run, then the medians

Every checkout runs with this virtualenv's packages; the working directory decides which `dagster_project` and
which dbt project run (`python -m` puts it first on sys.path). Data folders live under BENCH_WORK/ab/ and are
removed after each run; `--keep` leaves the last one (to profile its build file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench.run import PY, Bench, Dataset, dataset


def _commit(checkout: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=checkout, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def _dbt_elapsed(checkout: Path, since: float) -> float | None:
    """`dbt build`'s own elapsed time, from the run_results.json dagster-dbt left in the checkout's target."""
    target = checkout / "dbt" / "target"
    runs = [p for p in target.glob("dbt_models-*/run_results.json") if p.stat().st_mtime >= since]
    if not runs:
        return None
    return round(json.loads(max(runs, key=lambda p: p.stat().st_mtime).read_text())["elapsed_time"], 2)


def run_pair(bench: Bench, name: str, checkout: Path, label: str, keep: bool) -> dict:
    ds = dataset(name)
    subprocess.run([PY, "-m", "dagster_project.cli", "prepare"], cwd=checkout, capture_output=True, check=True)
    data_dir = bench.work / "ab" / name / label
    shutil.rmtree(data_dir, ignore_errors=True)
    out: dict = {"dataset": name, "checkout": str(checkout), "commit": _commit(checkout)}
    started = dt.datetime.now().timestamp()
    full, _ = bench.full_build(ds, data_dir, cwd=checkout)
    if full.returncode != 0:
        raise SystemExit(f"error: full build of {name} in {checkout} failed:\n{(full.stdout + full.stderr)[-2000:]}")
    out.update(
        full_s=round(full.wall_s, 2), full_rss_mb=round(full.peak_rss_mb), full_dbt_s=_dbt_elapsed(checkout, started)
    )
    started = dt.datetime.now().timestamp()
    [(_, daily)] = bench.daily_runs(ds, data_dir, cwd=checkout, days=1)  # the first daily day
    if daily.returncode != 0:
        raise SystemExit(f"error: daily run of {name} in {checkout} failed:\n{(daily.stdout + daily.stderr)[-2000:]}")
    out.update(
        daily_s=round(daily.wall_s, 2),
        daily_rss_mb=round(daily.peak_rss_mb),
        daily_dbt_s=_dbt_elapsed(checkout, started),
        build_db_mb=round((data_dir / "build" / "warehouse.duckdb").stat().st_size / 2**20),
    )
    if not keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return out


def add_arguments(parser: argparse.ArgumentParser, *between: str) -> None:
    """The arguments bench.ab and bench.replay share: the dataset, then `between` (positional choices), the
    checkouts, --runs and --work."""
    parser.add_argument("dataset", help="sim-<SCALE> or tpch-sf<N>, as in make bench")
    if between:
        parser.add_argument("action", choices=between)
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("BENCH_WORK") or "/tmp/loyalty-bench"))


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> tuple[argparse.Namespace, Dataset]:
    """Parsed arguments and the dataset; a one-line usage error for an unknown dataset or a folder that is not a
    checkout of this repository."""
    args = parser.parse_args(argv)
    try:
        ds = dataset(args.dataset)
    except ValueError:
        parser.error(f"unknown dataset {args.dataset!r}: use sim-<SCALE> or tpch-sf<N>, as in make bench")
    missing = [str(c) for c in args.checkouts if not (c / "dagster_project").is_dir()]
    if missing:
        parser.error(f"not a checkout of this repository (no dagster_project/): {', '.join(missing)}")
    return args, ds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--keep", action="store_true", help="keep the last run's data folder of each checkout")
    args, ds = parse(parser, argv)
    bench = Bench(args.work, args.runs, 16)
    bench.prepare(ds)
    results: dict[str, list[dict]] = {}
    for run in range(args.runs):
        for index, checkout in enumerate(args.checkouts):
            label = f"{index}-{checkout.resolve().name}"
            out = run_pair(bench, ds.name, checkout.resolve(), label, args.keep and run == args.runs - 1)
            print(json.dumps({"run": run + 1, **out}), flush=True)
            results.setdefault(label, []).append(out)
    for runs in results.values():
        medians = {
            key: round(statistics.median(r[key] for r in runs), 2)
            for key in ("full_s", "daily_s", "full_dbt_s", "daily_dbt_s", "full_rss_mb", "daily_rss_mb")
            if all(r.get(key) is not None for r in runs)
        }
        head = {"median_of": len(runs), "checkout": runs[0]["checkout"], "commit": runs[0]["commit"]}
        print(json.dumps({**head, **medians}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
