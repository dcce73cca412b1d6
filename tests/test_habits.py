"""The habits CI relies on: the pre-commit hooks run offline from the venv; `make lint` type-checks the package."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def test_pre_commit_hooks_are_local_and_use_the_venv():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])  # nothing to download
    assert {"ruff", "ruff-format", "mypy", "sqlfluff"} <= {hook["id"] for hook in hooks}
    for hook in hooks:
        assert hook["language"] == "system" and hook["entry"].startswith(".venv/bin/"), hook
        assert (REPO / hook["entry"].split()[0]).exists(), hook  # pinned in uv.lock, installed by make install


def test_make_lint_runs_mypy_and_ci_runs_make_lint():
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", (REPO / "Makefile").read_text(), re.M).group(1)
    assert "bin/mypy" in lint and "ruff check" in lint and "sqlfluff lint" in lint
    assert re.search(r"^make lint$", (REPO / ".ci" / "run").read_text(), re.M)
