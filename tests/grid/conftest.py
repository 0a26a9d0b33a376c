"""Fixtures: real scheduler and worker processes, users with known tokens, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from eth_account import Account

from sqlmodel import Session

from offchain_grid.client import GridClient
from offchain_grid.db import make_engine
from offchain_grid.scheduler.users import create_user

from .postgres import Postgres
from .procs import BOB_TOKEN, TOKEN, Scheduler, Worker

# Fixed worker keys so failures are reproducible; addresses derive from them.
WORKER_KEYS = ["0x" + f"{i:02x}" * 32 for i in range(1, 9)]


@pytest.fixture(scope="session")
def postgres():
    server = Postgres().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Every test using this runs against both databases."""
    return db_for(request.param, request, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'scheduler.db'}"


def make_users(db_url: str) -> None:
    """alice (admin) and bob, in-process: test_cli covers `xw admin create-user` itself."""
    engine = make_engine(db_url)
    with Session(engine) as session:
        create_user(session, name="alice", is_admin=True, token=TOKEN)
        create_user(session, name="bob", token=BOB_TOKEN)
    engine.dispose()


def db_for(kind: str, request, tmp_path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'scheduler.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def grid(tmp_path):
    """Factory: start a scheduler (users alice=admin and bob) and workers; stops them all afterwards."""
    started: list = []

    class Grid:
        scheduler: Scheduler

        def start(self, db_url: str, **kwargs) -> Scheduler:
            make_users(db_url)
            self.scheduler = Scheduler(tmp_path, db_url, **kwargs).start()
            started.append(self.scheduler)
            self.alice = GridClient(self.scheduler.url, TOKEN)
            self.bob = GridClient(self.scheduler.url, BOB_TOKEN)
            return self.scheduler

        def another_scheduler(self, **kwargs) -> Scheduler:
            """A second scheduler on the same database and blob store."""
            other = Scheduler(tmp_path, self.scheduler.db_url, **kwargs).start()
            started.append(other)
            return other

        def worker(self, index: int, slots: int = 1, env: dict | None = None, extra: tuple = (),
                   url: str | None = None, liar: bool = False) -> Worker:
            worker = Worker(tmp_path, url or self.scheduler.url, WORKER_KEYS[index], f"w{index}", slots, env,
                            extra, liar).start()
            started.append(worker)
            return worker

        @staticmethod
        def address(index: int) -> str:
            return Account.from_key(WORKER_KEYS[index]).address

    yield Grid()
    for proc in reversed(started):
        proc.stop()
