"""Database engine: a SQLite file in WAL mode by default, PostgreSQL (or any SQLAlchemy URL) on demand."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel, create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)

DEFAULT_DB_URL = "sqlite:///xw-scheduler.db"
# Requests holding a PostgreSQL session at once (they wait their turn in the event loop, api/deps.py);
# the pool has a few more connections for the sweeper and startup, so no request waits inside the pool.
SESSIONS_AT_ONCE = 8
POOL_SPARE = 4


def make_engine(url: str = DEFAULT_DB_URL) -> Engine:
    """Engine for `url`, with the tables created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_immediate_transactions(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=SESSIONS_AT_ONCE + POOL_SPARE, max_overflow=4,
                               pool_timeout=10)
    _rename_columns(engine)
    SQLModel.metadata.create_all(engine)
    return engine


# (table, old name, new name): a result's digest is `result_digest` everywhere
RENAMED_COLUMNS = [("replicate", "digest", "result_digest")]


def _rename_columns(engine: Engine) -> None:
    """Columns renamed since a database was created, renamed in place: an upgraded scheduler keeps its rows."""
    with engine.begin() as connection:
        inspector = inspect(connection)
        for table, old, new in RENAMED_COLUMNS:
            present = {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()
            if old in present and new not in present:
                connection.execute(text(f'ALTER TABLE "{table}" RENAME COLUMN "{old}" TO "{new}"'))


def _sqlite_immediate_transactions(engine: Engine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so two writers queue instead of deadlocking."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def sessions_at_once(engine: Engine) -> int:
    """How many requests may hold a database session at once: SQLite has one writer, PostgreSQL a pool."""
    return 1 if engine.dialect.name == "sqlite" else SESSIONS_AT_ONCE


def writer_lock(engine: Engine):
    """One session at a time in this process for SQLite, a no-op lock otherwise.

    SQLite has one writer anyway; queueing on a Python lock wakes the next request at once,
    where SQLite's busy handler polls with sleeps of up to 100 ms.
    """
    return threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()


def sqlite_path(url: str) -> Path | None:
    """File behind a SQLite URL (None for other databases or in-memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)
