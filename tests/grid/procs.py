"""Real scheduler and worker processes for the grid tests, on 127.0.0.1 and free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from .. import waiting

TOKEN = "alice-token-0123456789"
LIAR = Path(__file__).parent.parent / "liar_worker.py"  # `xw worker` that signs altered results
BOB_TOKEN = "bob-token-0123456789ab"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def xw(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `python -m offchain_grid.cli ...` to completion."""
    return subprocess.run([sys.executable, "-m", "offchain_grid.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def finished(client, uid: str):
    """The job once it reached a final status, else None (a predicate for wait_until)."""
    job = client.job(uid)
    return job if job["status"] in ("COMPLETED", "ERROR", "ABORTED") else None


def job_story(client, uid: str, workers=()) -> str:
    """What a failed wait needs to be understood: the job, its replicates, the workers' logs."""
    lines = [f"job: {client.job(uid)}"]
    lines += [f"replicate: {r}" for r in client.get(f"/jobs/{uid}/replicates")]
    lines += [f"--- worker log\n{w.output()[-2000:]}" for w in workers]
    return "\n".join(lines)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    """The shared wait, polled faster: the grid's tests watch quick state changes of a job."""
    return waiting.wait_until(predicate, timeout, interval, what)


class Scheduler:
    def __init__(self, tmp: Path, db_url: str, lease: float = 2.0, alive: float = 2.0, extra: tuple = (),
                 env: dict | None = None):
        self.tmp, self.db_url = tmp, db_url
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--db", db_url,
                     "--data-dir", str(tmp / "blobs"), "--lease-seconds", str(lease), "--alive-timeout", str(alive),
                     *extra]
        self.proc: subprocess.Popen | None = None
        self.log = tmp / f"scheduler-{self.port}.log"

    def start(self) -> "Scheduler":
        self.proc = subprocess.Popen([sys.executable, "-m", "offchain_grid.cli", *self.args], env=self.env,
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        try:
            wait_until(self._healthy, 30, what=f"scheduler on {self.url}")
        except BaseException:  # the test fails here, before anyone holds the process to stop it
            self.stop()
            raise
        return self

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"scheduler exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
        try:
            return requests.get(self.url + "/health", timeout=5).ok
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or slow on a busy machine
            return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class Worker:
    def __init__(self, tmp: Path, scheduler_url: str, key: str, name: str, slots: int = 1,
                 env: dict | None = None, extra: tuple = (), liar: bool = False):
        self.key, self.name = key, name
        self.workdir = tmp / f"worker-{name}"
        self.log = tmp / f"worker-{name}.log"
        program = [str(LIAR)] if liar else ["-m", "offchain_grid.cli", "worker"]
        self.cmd = [sys.executable, *program, "--scheduler", scheduler_url,
                    "--workdir", str(self.workdir), "--slots", str(slots), "--poll-interval", "0.1", *extra]
        self.env = {**os.environ, "XW_WORKER_PRIVATE_KEY": key, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Worker":
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        return self

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
