"""The pooled SQLite event log (dagster_project/event_log.py): the instance of this checkout uses it, and what it
writes is what Dagster's own SQLite storage reads (the UI, the daemon and run workers of other installs)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import dagster as dg
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from dagster_project import event_log
from dagster_project.event_log import PooledSqliteEventLogStorage

REPO = Path(__file__).resolve().parent.parent


def _entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level="INFO",
        user_message=message,
        run_id=run_id,
        timestamp=time.time(),
        step_key=None,
        job_name="build",
        dagster_event=None,
    )


def test_the_checkout_instance_uses_the_pooled_event_log(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster_home" / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        assert Path(storage._base_dir) == home / "history" / "runs"  # Dagster's default place


def test_events_written_through_the_pool_are_read_by_dagsters_own_storage(tmp_path, monkeypatch):
    monkeypatch.setattr(event_log, "OPEN_SHARDS", 4)
    pooled = PooledSqliteEventLogStorage(base_dir=str(tmp_path))
    runs = [str(uuid.uuid4()) for _ in range(7)]  # more runs than open shards: old engines get disposed
    for i in range(30):
        pooled.store_event(_entry(runs[i % len(runs)], f"event {i}"))
    assert len(pooled._engines) <= 4

    plain = SqliteEventLogStorage(base_dir=str(tmp_path))
    read = {run: [e.user_message for e in plain.get_logs_for_run(run)] for run in runs}
    assert read[runs[0]] == [f"event {i}" for i in range(0, 30, 7)]
    assert sum(len(messages) for messages in read.values()) == 30

    # and the other way round: what Dagster's storage writes, the pool reads
    plain.store_event(_entry(runs[0], "from plain"))
    assert [e.user_message for e in pooled.get_logs_for_run(runs[0])][-1] == "from plain"
    plain.dispose()

    pooled.wipe()  # deletes the shard files: the pool must not keep writing into deleted files
    assert set(pooled._engines) <= {"index"}  # no engine left on a deleted run shard
    pooled.store_event(_entry(runs[1], "after wipe"))
    assert [e.user_message for e in SqliteEventLogStorage(base_dir=str(tmp_path)).get_logs_for_run(runs[1])] == [
        "after wipe"
    ]
    pooled.dispose()
