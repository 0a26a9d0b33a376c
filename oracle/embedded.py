"""The one-machine grid: a scheduler and N workers started as child processes next to the oracle.

Restart-safe: the children die with the process that started them (a parent-death signal, so
even a SIGKILL of the oracle leaves no orphan), and a second start with the same workdir reuses
the scheduler's database, the oracle user and its token (kept in the workdir, owner-only)."""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from offchain_grid.client import GridClient

from .devchain import free_port
from .errors import GridError


@dataclass
class EmbeddedGrid:
    """A running scheduler and its workers; stop() ends them all."""

    url: str
    token: str
    db_url: str
    workdir: Path
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def client(self) -> GridClient:
        return GridClient(self.url, self.token)

    def add_worker(self, private_key: str, slots: int = 1, name: str | None = None,
                   env: dict | None = None, program: list[str] | None = None) -> subprocess.Popen:
        """Starts one more worker process; `env` adds to the worker's environment (never its jobs'),
        `program` replaces `python -m offchain_grid.cli worker` (the tests' lying worker)."""
        index = len(self.workers)
        name = name or f"worker{index}"
        env = dict(os.environ, **(env or {}), XW_WORKER_PRIVATE_KEY=private_key)
        log = open(self.workdir / f"{name}.log", "ab")
        process = subprocess.Popen(
            [sys.executable, *(program or ["-m", "offchain_grid.cli", "worker"]), "--scheduler", self.url,
             "--workdir", str(self.workdir / name), "--slots", str(slots), "--poll-interval", "0.2", "--no-docker"],
            env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with(os.getpid()),
        )
        self.workers.append(process)
        return process

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def start_grid(workdir: Path, worker_keys: list[str], *, db_url: str | None = None,
               lease_seconds: float = 30.0, alive_timeout: float = 10.0,
               oracle_status_url: str | None = None) -> EmbeddedGrid:
    """Starts the scheduler on a free port of 127.0.0.1, an oracle user, and one worker per key; its
    dashboard shows the oracle's status read from `oracle_status_url`, when given."""
    workdir.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{workdir / 'scheduler.db'}"
    token = _token(workdir / "oracle.token")
    cli = [sys.executable, "-m", "offchain_grid.cli"]
    created = subprocess.run([*cli, "admin", "create-user", "oracle", "--admin", "--token", token, "--exist-ok",
                              "--db", db_url], capture_output=True, text=True)
    if created.returncode != 0:
        last = (created.stderr.strip().splitlines() or ["no output"])[-1]
        raise GridError(f"cannot create the grid's oracle user in {db_url}: {last}")
    port = free_port()
    log = open(workdir / "scheduler.log", "ab")
    scheduler = subprocess.Popen(
        [*cli, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--db", db_url,
         "--data-dir", str(workdir / "scheduler-data"), "--lease-seconds", str(lease_seconds),
         "--alive-timeout", str(alive_timeout),
         *(["--oracle-status", oracle_status_url] if oracle_status_url else [])],
        stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with(os.getpid()),
    )
    grid = EmbeddedGrid(url=f"http://127.0.0.1:{port}", token=token, db_url=db_url, workdir=workdir,
                        scheduler=scheduler)
    _wait_until_up(grid)
    for key in worker_keys:
        grid.add_worker(key)
    return grid


def _token(path: Path) -> str:
    """The oracle user's token: the one kept from an earlier start, or a new one kept now."""
    if path.is_file() and len(path.read_text().strip()) >= 16:
        return path.read_text().strip()
    token = secrets.token_hex(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
    return token


_PR_SET_PDEATHSIG = 1


def _die_with(parent: int):
    """A preexec function: the child gets SIGTERM when `parent` dies, however it dies."""

    def arrange() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the signal was arranged
            os.kill(os.getpid(), signal.SIGTERM)

    return arrange


def _wait_until_up(grid: EmbeddedGrid, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if grid.scheduler.poll() is not None:
            raise RuntimeError(f"the scheduler exited (code {grid.scheduler.returncode}); see {grid.workdir / 'scheduler.log'}")
        try:
            if requests.get(grid.url + "/openapi.json", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    grid.stop()
    raise RuntimeError("the scheduler did not answer within 30 s")
