"""Shared fixtures: a small real warehouse, built once per test session through the real CLI (Dagster, dbt,
GX, publish — no mocks), plus helpers to run more builds in isolated data folders."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-06-30"  # fixed, so every test session builds the same world
SEED = "20261122"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Test modules import the Dagster definitions, which need dbt's manifest: parse first on a fresh clone."""
    from dagster_project.cli import ensure_manifest

    ensure_manifest()


# A test is a `build` test (deselect with `pytest -m "not build"` for the quick loop) if it uses a built warehouse
# or its module runs the CLI, dbt or a Dagster job: those take seconds to minutes each. What marks them must stay
# here, in one place, so a new build test cannot slip into the quick loop by forgetting a decorator.
BUILD_FIXTURES = {"warehouse", "online_retail"}
BUILD_CALLS = (
    "run_cli(",
    "run_dbt(",
    "materialize(",
    "execute_in_process(",
    '"dagster_project.cli"',
    '"bench.run"',
    '"bench.ab"',
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "build: runs a real build (CLI, dbt or Dagster); `-m 'not build'` skips it")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    builds: dict[Path, bool] = {}
    for item in items:
        path = Path(item.fspath)
        if path not in builds:
            builds[path] = any(call in path.read_text(encoding="utf-8") for call in BUILD_CALLS)
        if builds[path] or BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.build)


@dataclass
class Build:
    """One build's folders and its CLI outcome."""

    data_dir: Path
    returncode: int
    output: str

    @property
    def serving_db(self) -> Path:
        return self.data_dir / "serving" / "warehouse.duckdb"

    @property
    def build_db(self) -> Path:
        return self.data_dir / "build" / "warehouse.duckdb"

    def query(self, sql: str, params: list | None = None, db: str = "serving") -> list[tuple]:
        path = self.serving_db if db == "serving" else self.build_db
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None, db: str = "serving"):
        return self.query(sql, params, db)[0][0]


def run_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None, dagster_home: Path | None = None) -> Build:
    """Run `python -m dagster_project.cli <args>` as `make` would, in its own DATA_DIR and DAGSTER_HOME."""
    home = dagster_home or data_dir.parent / (data_dir.name + "-dagster-home")
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    full_env = {
        **os.environ,
        "AS_OF": AS_OF,
        "SEED": SEED,
        "SCALE": "1",
        "SOURCE": "simulator",
        "DIRTY": "0",
        "DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "GX_ANALYTICS_ENABLED": "false",
        **(env or {}),
    }
    full_env.pop("SIM_START", None) if "SIM_START" not in (env or {}) else None
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", *(args or ("build",))],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return Build(data_dir, done.returncode, done.stdout + done.stderr)


def old_duckdb_python(version: str) -> Path:
    """The Python of a venv with duckdb==`version` (a DuckDB 1.x client, to read the serving file as BI tools'
    bundled DuckDB does), made once with uv from PyPI under .cache/ (git-ignored) and kept; a lock keeps two test
    processes from making it at once."""
    venv = REPO / ".cache" / f"duckdb-{version}"
    python = venv / "bin" / "python"
    venv.parent.mkdir(exist_ok=True)
    with open(venv.parent / f"duckdb-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        check = [str(python), "-c", f"import duckdb; assert duckdb.__version__ == {version!r}"]
        if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
            return python
        uv = shutil.which("uv") or pytest.fail("uv is not on PATH: `make test` installs it (pip install uv)")
        shutil.rmtree(venv, ignore_errors=True)
        for command in (
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [uv, "pip", "install", "--quiet", "--python", str(python), f"duckdb=={version}"],
        ):
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"{' '.join(command)}: {done.stderr[-2000:]}"
        return python


def run_dbt(build_db: Path, work: Path, *args: str, env: dict[str, str] | None = None, succeeds: bool = True) -> str:
    """Run the venv's dbt on `build_db` from dbt/, with its own target and log folders under `work` (the shared
    target's partial-parse state stays untouched); fail the test with dbt's output unless it succeeds (or, with
    succeeds=False, unless it fails)."""
    done = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "dbt"),
            *args,
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=REPO / "dbt",
        env={
            **os.environ,
            "WAREHOUSE_BUILD_DB": str(build_db),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (done.returncode == 0) == succeeds, (done.stdout + done.stderr)[-3000:]
    return done.stdout


@pytest.fixture(scope="session")
def online_retail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real UCI Online Retail export shipped in samples/ (305 daily CSVs), unpacked once per test process."""
    from dagster_project.sources.samples import unpack_online_retail

    folder = tmp_path_factory.mktemp("online-retail")
    unpack_online_retail(folder)
    return folder / "online_retail"


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The default-scale simulator warehouse as of AS_OF, built once per `make test` and shared by the xdist
    workers (the first to ask builds it under a lock, the others wait and read it): most tests read its serving
    file. Tests only read it — one that needs to change it copies the file first."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder, shared by workers
    folder = root / "shared-warehouse"
    with open(root / "shared-warehouse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = folder / "build.json"
        if record.exists():
            saved = json.loads(record.read_text())
            build = Build(folder / "data", saved["returncode"], saved["output"])
        else:
            build = run_cli(folder / "data", "build")
            record.write_text(json.dumps({"returncode": build.returncode, "output": build.output}))
    assert build.returncode == 0, build.output[-4000:]
    return build
