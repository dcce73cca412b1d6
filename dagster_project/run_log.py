"""Where a run's chatter goes: DATA_DIR/logs/<command>-<UTC time>.log, one file per run.

The terminal gets the stage lines and the summary; dbt's per-node log (dagster-dbt writes it to stdout), Dagster's
events and the warnings libraries emit go to the run's log file, and with VERBOSE=1 (`-v`) to the terminal too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from dagster_project.settings import Settings

KEPT_LOGS = 60  # per DATA_DIR: two months of daily runs; older files are deleted when a run starts


def new_log(settings: Settings, command: str) -> Path:
    """A fresh log file for this run (the oldest beyond KEPT_LOGS are removed)."""
    folder = settings.data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime)[: -(KEPT_LOGS - 1) or None]:
        old.unlink(missing_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"{command}-{stamp}.log"


class _Tee(io.TextIOBase):
    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()

    def fileno(self) -> int:  # what a library that asks for stdout's descriptor writes to: the log file
        return self.streams[0].fileno()


@contextlib.contextmanager
def chatter_to(path: Path, verbose: bool) -> Iterator[None]:
    """While the run executes, stdout and Python warnings go to the log file (and the terminal when verbose).
    The run's logger (defs/logging.py) writes its own lines to the same file; both append whole lines."""
    with path.open("a", encoding="utf-8", buffering=1) as log:
        out = _Tee(log, sys.stdout) if verbose else _Tee(log)
        err = _Tee(log, sys.stderr) if verbose else _Tee(log)

        def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
            err.write(warnings.formatwarning(message, category, filename, lineno, line))

        with warnings.catch_warnings(), contextlib.redirect_stdout(out):
            warnings.showwarning = show
            yield
