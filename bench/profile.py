"""Where a select's time goes: one or more SQL files profiled in turn on a warehouse file, with their slowest operators
and whether they give the same rows.

    python -m bench.profile /tmp/loyalty-bench/replay/tpch-sf10/saved/build/warehouse.duckdb before.sql after.sql \\
        --runs 3 --ignore processed_at \\
        --setup "create temp table fct_deliveries__reprocess_from as
                 select max(loaded_partition_date) - 8 as reprocess_from_date from marts.fct_deliveries"

A SQL file is one select, e.g. a model's compiled select (dbt/target/<run folder>/compiled/.../<model>.sql; it names
its tables "warehouse"."<schema>"."<table>", and DuckDB names a file's catalog after the file: warehouse.duckdb).
The file is opened read-only, so a saved bench build stays as it was; each --setup statement runs first (temp tables
a model's pre-hook would make). Each run runs every file in turn (alternating, as a before / after needs on a noisy
machine) as `create temp table ... as <select>` under DuckDB's JSON profiling, and prints its wall time, rows out and
the K slowest operators (operator seconds are summed over threads). Then each file's median wall time, and, for two
or more files, whether each gives the same rows as the first (EXCEPT ALL both ways; --ignore leaves out columns such
as a run's processed_at stamp); exit 3 when they differ. The first run of a file reads from disk: compare the later
runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from dagster_project.warehouse.rules import quote_identifier

SAME_ROWS_TEXT = {None: "", True: ", same rows as the first", False: ", ROWS DIFFER from the first"}


def operators(profile: dict) -> list[dict]:
    """Every operator of DuckDB's JSON profile, flattened: type, what it reads or joins on, rows out, seconds."""
    found = []

    def walk(node: dict) -> None:
        info = node.get("extra_info") or {}
        on = info.get("Table") or info.get("Conditions") or info.get("CTE Name") or ""
        found.append(
            {
                "type": node.get("type", ""),
                "on": " & ".join(on) if isinstance(on, list) else str(on),
                "rows": node.get("intermediate_rows"),
                "s": round(node.get("timing") or 0.0, 3),
            }
        )
        for child in node.get("children", []):
            walk(child)

    for root in profile.get("operator", []):
        walk(root)
    return sorted(found, key=lambda op: op["s"], reverse=True)


def profile_once(con: duckdb.DuckDBPyConnection, table: str, sql: str, top: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{out.name}'")
        started = time.perf_counter()
        con.execute(f"create or replace temp table {table} as {sql}")
        wall = time.perf_counter() - started
        con.execute("pragma disable_profiling")
        profile = json.loads(Path(out.name).read_text())
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    return {"wall_s": round(wall, 3), "rows": rows, "operators": operators(profile)[:top]}


def _column_names(con: duckdb.DuckDBPyConnection, table: str, ignore: list[str]) -> list[str]:
    return [d[0] for d in con.execute(f"select * from {table} limit 0").description if d[0] not in ignore]


def same_rows(con: duckdb.DuckDBPyConnection, first: str, other: str, ignore: list[str]) -> bool:
    """Whether two results hold the same rows (as multisets), leaving out the `ignore` columns where they appear;
    results with other columns (names or order) never do."""
    names = _column_names(con, first, ignore)
    if names != _column_names(con, other, ignore):
        return False
    columns = ", ".join(quote_identifier(name) for name in names)
    differing = con.execute(
        f"select (select count(*) from (select {columns} from {first} except all select {columns} from {other}))"
        f" + (select count(*) from (select {columns} from {other} except all select {columns} from {first}))"
    ).fetchone()[0]
    return differing == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="a warehouse file (opened read-only)")
    parser.add_argument("sql", type=Path, nargs="+", help="SQL files, one select each")
    parser.add_argument("--setup", action="append", default=[], help="a statement run first (repeatable)")
    parser.add_argument("--runs", type=int, default=2, help="runs of each file, alternating (default 2)")
    parser.add_argument("--top", type=int, default=8, help="operators shown per run (default 8)")
    parser.add_argument("--ignore", action="append", default=[], help="a column left out of the rows compared")
    parser.add_argument("--json", action="store_true", help="one JSON object per run, then the summary")
    args = parser.parse_args(argv)
    if not args.database.is_file():
        parser.error(f"no database file {args.database}")
    for path in args.sql:
        if not path.is_file():
            parser.error(f"no SQL file {path}")
    if args.runs < 1 or args.top < 1:
        parser.error(f"--runs and --top must be at least 1, not {args.runs} and {args.top}")
    sqls = [path.read_text().strip().rstrip(";") for path in args.sql]

    step, con = f"opening {args.database}", None
    try:
        con = duckdb.connect(str(args.database), read_only=True)  # fails while a build holds the file read-write
        step = "--setup"
        for statement in args.setup:
            con.execute(statement)
        walls: list[list[float]] = [[] for _ in sqls]
        for run in range(1, args.runs + 1):
            for i, (path, sql) in enumerate(zip(args.sql, sqls, strict=True)):
                step = str(path)
                result = {"run": run, "sql": str(path), **profile_once(con, f"__profiled_{i}", sql, args.top)}
                walls[i].append(result["wall_s"])
                print(json.dumps(result) if args.json else render(result), flush=True)
        step = "comparing the rows"
        summary = [
            {
                "sql": str(path),
                "median_wall_s": round(statistics.median(walls[i]), 3),
                "walls_s": walls[i],
                "same_rows_as_first": (
                    None if i == 0 else same_rows(con, "__profiled_0", f"__profiled_{i}", args.ignore)
                ),
            }
            for i, path in enumerate(args.sql)
        ]
    except duckdb.Error as error:
        print(f"error: {step}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        if con is not None:
            con.close()
    for line in summary:
        if args.json:
            print(json.dumps(line))
        else:
            same = SAME_ROWS_TEXT[line["same_rows_as_first"]]
            print(f"{line['sql']}: median {line['median_wall_s']:.2f} s of {line['walls_s']}{same}")
    return 0 if all(line["same_rows_as_first"] is not False for line in summary) else 3


def render(result: dict) -> str:
    lines = [f"run {result['run']} {result['sql']}: {result['wall_s']:.2f} s, {result['rows']:,} rows"]
    for op in result["operators"]:
        rows = "" if op["rows"] is None else f"{op['rows']:>12,} rows"
        lines.append(f"  {op['s']:7.3f} s  {op['type']:<20} {op['on'][:70]:<70} {rows}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
