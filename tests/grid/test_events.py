"""Events pushed to workers over their own subscription: abort, new work, a quorum reached elsewhere.

Workers here poll only every 60 s, so anything faster than that came through the event stream.
"""

import threading
import time

import psutil
import pytest
import requests
from eth_account import Account

from offchain_grid.archive import pack_result
from offchain_grid.worker.client import SchedulerRefused, WorkerClient
from offchain_grid.worker.runner import sign_result

from .conftest import WORKER_KEYS
from .procs import TOKEN, finished, job_story, wait_until

SLOW_POLL = ("--poll-interval", "60")


def sleeping_jobs(worker) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(worker.proc.pid).children(recursive=True) if p.name() == "sleep"]
    except psutil.NoSuchProcess:
        return []


def gone(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def subscribed(worker) -> bool:
    return "subscribed to the scheduler's events" in worker.output()


def test_new_work_reaches_an_idle_worker_and_abort_kills_its_job(grid, db_url, tmp_path):
    """On PostgreSQL the worker listens to a second scheduler: events cross schedulers via NOTIFY."""
    grid.start(db_url, lease=10.0, alive=10.0)
    url = grid.another_scheduler(lease=10.0, alive=10.0).url if "postgresql" in db_url else None
    app = tmp_path / "nap.sh"
    app.write_text('#!/bin/sh\nsleep "$1"\n')
    app.chmod(0o755)
    grid.alice.send_app("sleep", "x86_64", "linux", str(app))
    worker = grid.worker(0, extra=SLOW_POLL, url=url)
    wait_until(lambda: subscribed(worker) and "logged in" in worker.output(), 30, what="the worker's subscription")
    time.sleep(0.5)  # its first pull found nothing: the next one is 60 s away
    submitted = time.monotonic()
    uid = grid.alice.submit("sleep", ["60"])["uid"]
    procs = wait_until(lambda: sleeping_jobs(worker), 20, what="the job reaching the idle worker")
    assert time.monotonic() - submitted < 20
    aborted = time.monotonic()
    grid.alice.post(f"/jobs/{uid}/abort")
    wait_until(lambda: all(gone(p) for p in procs), 10, what="the aborted job to be killed")
    print(f"abort to kill: {time.monotonic() - aborted:.2f} s")
    wait_until(lambda: "stopped job" in worker.output() and "job aborted" in worker.output(), 10,
               what="the worker's log line")
    assert grid.alice.job(uid)["status"] == "ABORTED"
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    after = grid.alice.submit("echo", ["next"])["uid"]  # the slot is free again, and nothing was reported
    assert wait_until(lambda: finished(grid.alice, after), 20, what="a job after the abort")["status"] == "COMPLETED"
    assert [r["status"] for r in grid.alice.get(f"/jobs/{uid}/replicates")] == ["ABORTED"]


def test_a_quorum_reached_elsewhere_stops_a_straggler(grid, db_url, tmp_path):
    grid.start(db_url, lease=10.0, alive=10.0)
    app = tmp_path / "answer.sh"
    app.write_text('#!/bin/sh\nsleep 60\necho 42\n')  # the other two voters only sign, they run nothing
    app.chmod(0o755)
    grid.alice.send_app("answer", "x86_64", "linux", str(app))
    uid = grid.alice.submit("answer", [], replication=2)["uid"]
    filler = grid.alice.submit("answer", ["filler"])["uid"]  # fills the straggler's second permit: it pulls no replacement
    straggler = grid.worker(0, extra=SLOW_POLL)
    procs = wait_until(lambda: sleeping_jobs(straggler), 30, what="the straggler running its replicate")
    wait_until(lambda: subscribed(straggler), 30, what="the straggler's subscription")
    # Its key logs in elsewhere holding nothing: the scheduler takes the replicate back, the process runs on.
    WorkerClient(grid.scheduler.url, Account.from_key(WORKER_KEYS[0]), shared_apps=[], slots=1,
                 stop=threading.Event()).login()
    (tmp_path / "empty").mkdir()
    archive = pack_result(b"42\n", b"", 0, tmp_path / "empty")
    for index in (1, 2):
        other = WorkerClient(grid.scheduler.url, Account.from_key(WORKER_KEYS[index]), shared_apps=[], slots=1,
                             stop=threading.Event())
        other.login()
        [assignment] = wait_until(lambda: other.pull(1, [])["assignments"], 10, what="a replicate to take")
        assert other.report([sign_result(assignment, archive, b"", WORKER_KEYS[index])], [])["rejected"] == []
    assert wait_until(lambda: finished(grid.alice, uid), 10)["status"] == "COMPLETED", job_story(grid.alice, uid)
    wait_until(lambda: all(gone(p) for p in procs), 10, what="the straggler's redundant replicate to be killed")
    wait_until(lambda: "job completed" in straggler.output(), 10, what="the straggler's log line")
    grid.alice.post(f"/jobs/{filler}/abort")  # the filler's replicate too was taken back: it stops now
    wait_until(lambda: "job aborted" in straggler.output(), 10, what="the filler to stop")


def test_event_stream_needs_a_worker_session_and_is_capped(grid, sqlite_url):
    grid.start(sqlite_url)
    anonymous = requests.get(grid.scheduler.url + "/api/v1/worker/events", timeout=10)
    assert anonymous.status_code == 401
    client = WorkerClient(grid.scheduler.url, Account.from_key(WORKER_KEYS[3]), shared_apps=[], slots=1,
                          stop=threading.Event())
    client.login()
    streams = [client.open_stream("/events", timeout=(5, 30)) for _ in range(4)]
    try:
        lines = [s.iter_lines(chunk_size=None, decode_unicode=True) for s in streams]  # kept: closing one ends it
        assert [next(line) for line in lines] == [": subscribed"] * 4
        with pytest.raises(SchedulerRefused, match="429"):
            client.open_stream("/events", timeout=(5, 30))
        # open streams hold up no other request (no body to queue for)
        assert requests.get(grid.scheduler.url + "/api/v1/jobs", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=10).status_code == 200
        grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
        grid.alice.submit("echo", ["x"])
        assert next(line for line in lines[0] if line.startswith("data:")) == 'data: {"type":"work"}'
    finally:
        for stream in streams:
            stream.close()
