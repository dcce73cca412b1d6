"""A daily run, replayed: one full build saved once, then `cli daily` on a fresh copy of it for each checkout, to
compare changes to the daily run without paying a full build per try (TPC-H SF10: ~34 min for the build, ~4–5 min
a daily run, ~1 min to restore the copy).

    python -m bench.replay tpch-sf10 save /tmp/before            # full build by that checkout, saved
    python -m bench.replay tpch-sf10 daily /tmp/before . --runs 2  # each run: restore it, run the next day

Runs as bench.ab does (bench.run's environment, landing folder and next-day files; bench.measure's wall time and
peak RSS), the checkouts alternating run by run; one JSON line per run, then the medians. The saved build lives in
BENCH_WORK/replay/<dataset>/saved (as large as the build: ~34 GB at SF10), each run in .../run (~25 GB: the
build file is copied, the serving folder hard-linked). The full build's own figures belong to bench.ab: a
checkout's daily run here starts from the saving checkout's build.
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

from bench.ab import _commit, _dbt_elapsed, add_arguments, parse
from bench.run import PY, Bench


def _restore(saved: Path, run_dir: Path) -> None:
    """A fresh copy of the saved data folder. The serving folder is hard-linked, not copied: a publish never writes
    to a serving file in place (it builds a new one and `os.replace`s it, and removes files by unlinking), so the
    saved copy stays as it was and the restore needs room for the build file only."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    for entry in saved.iterdir():
        link = ["-l"] if entry.name == "serving" else []
        subprocess.run(["cp", "-a", *link, str(entry), str(run_dir / entry.name)], check=True)
    os.sync()  # the copy's dirty pages written out before the clock starts, not during the run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, "save", "daily")
    args, ds = parse(parser, argv)
    if args.action == "save" and len(args.checkouts) != 1:
        parser.error("save takes one checkout: the one whose full build is saved")
    bench = Bench(args.work, args.runs, 16)
    if args.action == "save":
        bench.prepare(ds)
    saved = args.work / "replay" / ds.name / "saved"
    run_dir = args.work / "replay" / ds.name / "run"
    checkouts = [c.resolve() for c in args.checkouts]
    for checkout in checkouts:
        subprocess.run([PY, "-m", "dagster_project.cli", "prepare"], cwd=checkout, capture_output=True, check=True)

    if args.action == "save":
        shutil.rmtree(saved, ignore_errors=True)
        full, _ = bench.full_build(ds, saved, cwd=checkouts[0])
        if full.returncode != 0:
            raise SystemExit(f"error: full build of {ds.name} failed:\n{(full.stdout + full.stderr)[-2000:]}")
        print(json.dumps({"saved": str(saved), "commit": _commit(checkouts[0]), "full_s": round(full.wall_s, 2)}))
        return 0

    if not (saved / "build" / "warehouse.duckdb").exists():
        parser.error(f"no saved build in {saved}: run `python -m bench.replay {ds.name} save <checkout>` first")
    results: dict[str, list[dict]] = {}
    for run in range(args.runs):
        for checkout in checkouts:
            _restore(saved, run_dir)
            started = dt.datetime.now().timestamp()
            [(_, daily)] = bench.daily_runs(ds, run_dir, cwd=checkout, days=1)  # the first daily day
            if daily.returncode != 0:
                raise SystemExit(f"error: daily run in {checkout} failed:\n{(daily.stdout + daily.stderr)[-2000:]}")
            out = {
                "run": run + 1,
                "checkout": str(checkout),
                "commit": _commit(checkout),
                "daily_s": round(daily.wall_s, 2),
                "daily_rss_mb": round(daily.peak_rss_mb),
                "daily_dbt_s": _dbt_elapsed(checkout, started),
            }
            print(json.dumps(out), flush=True)
            results.setdefault(str(checkout), []).append(out)
    for checkout, runs in results.items():
        medians = {
            key: round(statistics.median(r[key] for r in runs), 2)
            for key in ("daily_s", "daily_dbt_s")
            if all(r.get(key) is not None for r in runs)
        }
        print(json.dumps({"median_of": len(runs), "checkout": checkout, "commit": runs[0]["commit"], **medians}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
