"""`oracle run --embedded-grid` killed with SIGKILL and started again with the same workdir: no
orphan left, no traceback, the task in flight served once; and a grid that no longer knows a
task's job gets it dispatched again."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from offchain_grid.client import GridClient
from oracle import localnet
from oracle.deployment import register_app
from oracle.embedded import start_grid
from oracle.localnet import start_oracle

from .conftest import APPS, events, oracle_tasks, wait_until


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("embedded")
    net = localnet.build(workdir, workers=1, trust=1, block_time=None, grid_worker_count=0)
    net.workdir = workdir
    yield net
    net.stop()


def run_embedded(net, workdir: Path, db: Path, workers: int) -> tuple[subprocess.Popen, str]:
    """`oracle run --embedded-grid` as its own process, logging to oracle-<n>.log next to the
    workdir; returns it and its grid's URL."""
    keys = workdir.parent / "worker-keys"
    keys.write_text(net.worker_key(0) + "\n")
    env = dict(os.environ, PYTHONUNBUFFERED="1", ORACLE_PRIVATE_KEY="0x" + bytes(net.key(localnet.ORACLE).key).hex())
    log = workdir.parent / f"oracle-{len(list(workdir.parent.glob('oracle-*.log')))}.log"
    with open(log, "wb") as out:
        oracle = subprocess.Popen(
            [sys.executable, "-m", "oracle.cli", "run", "--rpc-url", net.chain.url, "--deployment",
             str(net.workdir / "local.json"), "--db", f"sqlite:///{db}", "--embedded-grid", "--workers", str(workers),
             "--worker-keys-file", str(keys), "--workdir", str(workdir), "--poll-interval", "0.2"],
            env=env, stdout=out, stderr=subprocess.STDOUT)

    def grid_url():
        assert oracle.poll() is None, log.read_text()[-2000:]
        found = re.search(r"embedded grid at (http://\S+) ", log.read_text())
        return found and found.group(1)

    return oracle, wait_until(grid_url, 60, what="the embedded grid")


def processes_under(path: Path) -> list[int]:
    """Processes whose command line names `path` (the embedded grid's children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_sigkill_and_restart_with_the_same_workdir(net, tmp_path):
    workdir = tmp_path / "grid"
    db = tmp_path / "oracle.db"
    oracle, url = run_embedded(net, workdir, db, workers=0)
    try:
        owner = net.key(localnet.APP_OWNER)
        GridClient(url, GridClient(url, None).sign_up(owner)["token"]).send_app("answer", "x86_64", "linux",
                                                                                 str(APPS / "answer.py"))
        checksum = hashlib.sha256((APPS / "answer.py").read_bytes()).hexdigest()
        app = register_app(net.w3, owner, net.deployment, localnet.APP_PRICE, checksum, "answer")
        task_id, _request, _receipt = net.request(app, trust=1)
        hex_id = "0x" + task_id.hex()
        job = wait_until(lambda: oracle_tasks(tmp_path).get(hex_id) and oracle_tasks(tmp_path)[hex_id].job_uid,
                         30, what="the job submitted")
        children = processes_under(workdir)
        assert children  # the scheduler at least
        oracle.send_signal(signal.SIGKILL)
        oracle.wait(10)
        wait_until(lambda: not processes_under(workdir), 30, what="the grid's processes gone with the oracle")
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "/openapi.json", timeout=5)

        oracle, url = run_embedded(net, workdir, db, workers=1)  # the same workdir: same users, same jobs
        wait_until(lambda: events(net, "TaskFinalized", task_id), 90, what="TaskFinalized after the restart")
        assert len(events(net, "TaskFinalized", task_id)) == 1
        assert oracle_tasks(tmp_path)[hex_id].job_uid == job  # the grid still knew the job
        assert "Traceback" not in (tmp_path / "oracle-1.log").read_text()
    finally:
        oracle.terminate()
        oracle.wait(10)
    wait_until(lambda: not processes_under(workdir), 30, what="the grid's processes stopped")


def test_a_job_the_grid_no_longer_knows_is_dispatched_again(net, tmp_path):
    app = net.add_app("answer", APPS / "answer.py")
    shutil.copy(net.workdir / "local.json", tmp_path)
    oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2")  # the first grid has no worker
    try:
        task_id, _request, _receipt = net.request(app, trust=1)
        hex_id = "0x" + task_id.hex()
        first = wait_until(lambda: oracle_tasks(tmp_path).get(hex_id) and oracle_tasks(tmp_path)[hex_id].job_uid,
                           30, what="the job submitted")
    finally:
        oracle.terminate()
        oracle.wait(10)
    # another grid (a new database): the app owner sends the app there too, a worker runs it
    grid = start_grid(tmp_path / "other-grid", [net.worker_key(0)])
    try:
        owner = net.key(localnet.APP_OWNER)
        GridClient(grid.url, GridClient(grid.url, None).sign_up(owner)["token"]).send_app(
            "answer", "x86_64", "linux", str(APPS / "answer.py"))
        net_grid, net.grid = net.grid, grid
        try:
            oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2")
        finally:
            net.grid = net_grid
        try:
            wait_until(lambda: events(net, "TaskFinalized", task_id), 90, what="TaskFinalized on the other grid")
            wait_until(lambda: oracle_tasks(tmp_path)[hex_id].state == "FINALIZED", 30, what="FINALIZED")
        finally:
            oracle.terminate()
            oracle.wait(10)
        task = oracle_tasks(tmp_path)[hex_id]
        assert task.state == "FINALIZED" and task.job_uid != first
        assert grid.client().job(task.job_uid)["external_id"] == hex_id
        assert "no longer knows job" in (tmp_path / "oracle.log").read_text()
    finally:
        grid.stop()
