"""Wall time and peak RSS of a subprocess *tree*, sampled with psutil.

Why a tree: `make build` forks dbt (and dbt may fork again), so the parent's own RSS undercounts. The sampler
sums the resident memory of the process and every live descendant every 50 ms and keeps the maximum.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass
class Measured:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str

    def json_tail(self) -> dict:
        """The last stdout line that is a JSON object (the helper scripts report there)."""
        for line in reversed(self.stdout.strip().splitlines()):
            start = line.find('{"')  # native libraries may print warnings without a trailing newline
            if start >= 0:
                try:
                    return json.loads(line[start:])
                except json.JSONDecodeError:
                    continue
        return {}


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run(
    args: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 4 * 3600,
    preexec_fn=None,
) -> Measured:
    """Run `args` to completion; return wall time, peak RSS of the process tree and the output."""
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec_fn,
    )
    watched = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(watched))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    return Measured(wall, peak / 2**20, proc.returncode, stdout, stderr)
