"""The book's database: a SQLite file by default (WAL mode), PostgreSQL by `postgresql://` URL.
It holds the listed orders and, as the oracle's does, the chain cursor and recent block hashes."""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel, create_engine

from oracle.models import Cursor, HashRun, SeenBlock

from .models import BookOrder

DEFAULT_DB_URL = "sqlite:///orderbook.db"
TABLES = [BookOrder.__table__, Cursor.__table__, SeenBlock.__table__, HashRun.__table__]


def make_engine(url: str = DEFAULT_DB_URL) -> Engine:
    """Engine for `url`, with the book's tables (and no others) created."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    SQLModel.metadata.create_all(engine, tables=TABLES)
    return engine


def writer_lock(engine: Engine):
    """One writer at a time in this process on SQLite (the API and the chain follower share the
    file); PostgreSQL orders writers itself."""
    return threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
