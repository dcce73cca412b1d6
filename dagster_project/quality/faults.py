"""Fault injection for the crash tests: the one named place a build can be made to stop and wait.

`WAREHOUSE_TEST_PAUSE_AT=load|publish` makes the build print "PAUSED AT <point>" and sleep there, so a test can
kill -9 it at a known moment (mid-transaction of a raw load; staging file written but not yet swapped in).
Unset (always, outside tests) it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import sys
import time

POINTS = ("load", "publish")


def pause_point(point: str) -> None:
    if os.environ.get("WAREHOUSE_TEST_PAUSE_AT") == point:
        print(f"PAUSED AT {point}", file=sys.stderr, flush=True)  # stderr: the terminal, in quiet runs too
        time.sleep(float(os.environ.get("WAREHOUSE_TEST_PAUSE_SECONDS", "300")))
