"""The oracle's database: a SQLite file by default (WAL mode), PostgreSQL by URL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel, create_engine

from . import models  # noqa: F401  (registers the tables)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    SQLModel.metadata.create_all(engine)
    _add_new_columns(engine)
    _rename_result_fields(engine)
    return engine


def _add_new_columns(engine: Engine) -> None:
    """Columns added to a table since a database was created, added to it (each new column is
    nullable or has a default), so that an oracle upgraded in place keeps its state."""
    inspector = inspect(engine)
    with engine.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = column.default.arg if column.default is not None and column.default.is_scalar else None
                suffix = f" DEFAULT {int(default)}" if isinstance(default, (bool, int)) else ""
                connection.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}{suffix}'))


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _rename_result_fields(engine: Engine) -> None:
    """Grid results stored before the grid named a result's digest `result_digest` (it said
    `digest`, in the result and in each dissent), renamed in place: a completed task of an
    upgraded oracle is still settled."""
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT task_id, result_json FROM taskrecord WHERE result_json LIKE '%\"digest\"%'")).all()
        for task_id, stored in rows:
            result = json.loads(stored)
            for part in [result, *result.get("dissents", [])]:
                if "digest" in part:
                    part["result_digest"] = part.pop("digest")
            connection.execute(text("UPDATE taskrecord SET result_json = :r WHERE task_id = :t"),
                               {"r": json.dumps(result), "t": task_id})
