"""Dagster's SQLite event log, kept open between writes (configured in dagster_home/dagster.yaml).

Dagster's `SqliteEventLogStorage` creates a new SQLAlchemy engine for every write, so every event re-compiles its
INSERT, opens the shard file, commits with an fsync and closes it (which checkpoints the WAL). A full build writes
~1,700 events (one per partition day of `raw/extract`, one per dbt model, test and GX check), and that cost ~12 ms
each: ~20 s of a 60 s default build (py-spy, docs/bench-log.md). This subclass keeps one engine with a small
connection pool per shard, so statements stay compiled and files stay open, and commits with `synchronous=NORMAL`
(safe in WAL mode: a power cut can lose the last few events, never corrupt the file). Same files, same schema:
`dagster dev` and any other Dagster process read what it writes.
"""

from __future__ import annotations

import os
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import Connection, Engine, create_engine, event

OPEN_SHARDS = 16  # engines kept (the index shard and the runs a process touched last); older ones are disposed


def _tune(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one pooled engine per shard instead of one engine per write."""

    def __init__(self, base_dir: str | None = None, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        if base_dir is None:  # Dagster's default place for the event log of DAGSTER_HOME
            base_dir = os.path.join(os.environ["DAGSTER_HOME"], "history", "runs", "")
        super().__init__(base_dir=base_dir, inst_data=inst_data)

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            )
            event.listen(engine, "connect", _tune)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_SHARDS:
                self._engines.popitem(last=False)[1].dispose()
        self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:  # one writer per process at a time, as in the parent class
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _close_all(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:  # deletes the run shard files: close them first
        self._close_all()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()
