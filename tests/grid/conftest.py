"""Fixtures: real scheduler and worker processes, users with known tokens, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from eth_account import Account

from offchain_grid.client import GridClient

from .postgres import Postgres
from .procs import BOB_TOKEN, TOKEN, Scheduler, Worker, xw

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
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scheduler.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'scheduler.db'}"


def make_users(db_url: str) -> None:
    for name, token, flags in (("alice", TOKEN, ["--admin"]), ("bob", BOB_TOKEN, [])):
        done = xw("admin", "create-user", name, "--token", token, "--db", db_url, *flags)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == token


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

        def worker(self, index: int, slots: int = 1, env: dict | None = None, extra: tuple = ()) -> Worker:
            worker = Worker(tmp_path, self.scheduler.url, WORKER_KEYS[index], f"w{index}", slots, env, extra).start()
            started.append(worker)
            return worker

        @staticmethod
        def address(index: int) -> str:
            return Account.from_key(WORKER_KEYS[index]).address

    yield Grid()
    for proc in reversed(started):
        proc.stop()
