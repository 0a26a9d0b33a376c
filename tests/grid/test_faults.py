"""Faults with real processes: killed workers and scheduler, liars, forgers, bad checksums, overruns."""

import hashlib
import json
import signal

import pytest
import stat
import threading
import time

import requests
from eth_account import Account

from offchain_grid.archive import pack_result, read_member
from offchain_grid.contribution import grid_domain, grid_task_id, recover_contributor
from offchain_grid.worker.client import SchedulerRefused, WorkerClient
from offchain_grid.worker.runner import sign_result

from .conftest import WORKER_KEYS
from .procs import finished, wait_until


def script(tmp_path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_worker_killed_mid_job_completes_elsewhere(grid, db_url, tmp_path):
    grid.start(db_url)
    grid.alice.send_app("slow", "x86_64", "linux", script(tmp_path, "slow.sh", 'sleep 2; echo "done $1"\n'))
    uids = [grid.alice.submit("slow", [str(i)])["uid"] for i in range(3)]
    doomed = grid.worker(0, slots=3)
    wait_until(lambda: all(grid.alice.job(u)["status"] == "RUNNING" for u in uids), 30, what="jobs on worker 0")
    doomed.proc.send_signal(signal.SIGKILL)
    doomed.proc.wait()
    grid.worker(1, slots=3)
    for i, uid in enumerate(uids):
        job = wait_until(lambda: finished(grid.alice, uid), 60, what=f"job {uid}")
        assert job["status"] == "COMPLETED"
        assert [s["worker"] for s in job["result"]["signatures"]] == [grid.address(1)]
        assert read_member(grid.alice.result_archive(uid), "stdout") == f"done {i}\n".encode()
        reps = grid.alice.get(f"/jobs/{uid}/replicates")
        fates = [(r["worker"], r["status"]) for r in reps]
        assert fates == [(grid.address(0), "LOST"), (grid.address(1), "VALID")], reps


def test_scheduler_killed_and_restarted_during_200_jobs(grid, db_url):
    scheduler = grid.start(db_url, lease=4.0, alive=4.0)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    jobs = grid.alice.submit_batch([{"app": "echo", "args": [f"job-{i}"]} for i in range(200)])
    for index in (0, 1):
        grid.worker(index, slots=2)
    wait_until(lambda: len(grid.alice.get("/jobs", status="COMPLETED")) >= 40, 60, what="a first share of jobs")
    scheduler.kill()
    scheduler.start()
    wait_until(lambda: len(grid.alice.get("/jobs", status="COMPLETED")) == 200, 120, interval=0.5,
               what="all 200 jobs")
    for job in grid.alice.get("/jobs"):
        assert len(job["result"]["signatures"]) == 1
    assert [ref["created"] for ref in jobs] == [True] * 200
    for i in range(0, 200, 40):
        uid = jobs[i]["uid"]
        assert read_member(grid.alice.result_archive(uid), "stdout") == f"job-{i}\n".encode()
        valid = [r for r in grid.alice.get(f"/jobs/{uid}/replicates") if r["status"] == "VALID"]
        assert len(valid) == 1


def test_liar_is_outvoted_and_blacklisted(grid, sqlite_url, tmp_path):
    grid.start(sqlite_url)
    grid.alice.send_app("answer", "x86_64", "linux", script(tmp_path, "answer.sh", "echo 42\n"))
    liar = grid.worker(0, liar=True)
    uid = grid.alice.submit("answer", [], replication=3)["uid"]
    wait_until(lambda: grid.alice.job(uid)["status"] == "RUNNING", 30, what="the liar taking a replicate")
    for index in (1, 2, 3):
        grid.worker(index)
    job = wait_until(lambda: finished(grid.alice, uid), 60, what="quorum")
    assert job["status"] == "COMPLETED"
    result = job["result"]
    (tmp_path / "empty").mkdir()
    good_digest = "0x" + hashlib.sha256(pack_result(b"42\n", b"", 0, tmp_path / "empty")).hexdigest()
    assert result["result_digest"] == good_digest
    assert {s["worker"] for s in result["signatures"]} == {grid.address(i) for i in (1, 2, 3)}
    [dissent] = result["dissents"]
    assert dissent["worker"] == grid.address(0) and dissent["result_digest"] != good_digest
    assert recover_contributor(grid_domain(), grid_task_id(uid), dissent["result_digest"], dissent["callback_data_hash"],
                               dissent["signature"]) == grid.address(0)  # usable as slashing proof
    workers = {w["address"]: w for w in grid.alice.get("/workers")}
    assert workers[grid.address(0)]["blacklisted"]
    assert "outvoted" in workers[grid.address(0)]["blacklist_reason"]
    assert not any(workers[grid.address(i)]["blacklisted"] for i in (1, 2, 3))
    assert liar.proc.wait(30) != 0
    assert "blacklisted by the scheduler" in liar.output()


def test_forged_signature_is_refused(grid, sqlite_url):
    scheduler = grid.start(sqlite_url)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    uid = grid.alice.submit("echo", ["hello"])["uid"]
    forger = WorkerClient(scheduler.url, Account.from_key(WORKER_KEYS[5]), shared_apps=[], slots=1,
                          stop=threading.Event())
    forger.login()
    [assignment] = forger.pull(1, [])["assignments"]
    other_key = WORKER_KEYS[6]
    forged = sign_result(assignment, pack_result(b"hello\n", b"", 0, None), b"", other_key)
    outcome = forger.report([forged], [])
    assert outcome["accepted"] == []
    assert "signature is not by worker" in outcome["rejected"][0]["reason"]
    late = forger.report([sign_result(assignment, pack_result(b"x", b"", 0, None), b"", forger.account.key)], [])
    assert late["accepted"] == []  # the replicate is no longer its to report
    me = {w["address"]: w for w in grid.alice.get("/workers")}[forger.account.address]
    assert me["blacklisted"] and "signature" in me["blacklist_reason"]
    assert forger.pull(1, [])["assignments"] == []
    stored = grid.alice.send_app("cat", "x86_64", "linux", "/bin/cat")
    with pytest.raises(SchedulerRefused, match="403"):
        list(forger.blob_chunks(stored["checksum"]))  # it holds no job that needs it
    grid.worker(1)
    job = wait_until(lambda: finished(grid.alice, uid), 30, what="an honest worker")
    assert job["status"] == "COMPLETED"
    assert [s["worker"] for s in job["result"]["signatures"]] == [grid.address(1)]


def test_a_report_with_a_replaced_session_token_is_refused(grid, sqlite_url):
    """The scheduler remembers a worker's session token once a report used it; a new login replaces
    the token, and a report still sent with the old one is refused (401) before anything is applied."""
    scheduler = grid.start(sqlite_url)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    for i in range(2):
        grid.alice.submit("echo", [str(i)])
    key = WORKER_KEYS[5]
    old = WorkerClient(scheduler.url, Account.from_key(key), shared_apps=[], slots=2, stop=threading.Event())
    old.login()
    first, second = old.pull(2, [])["assignments"]
    archive = pack_result(b"x", b"", 0, None)
    assert old.report([sign_result(first, archive, b"", key)], [])["accepted"] == [first["replicate"]]
    new = WorkerClient(scheduler.url, Account.from_key(key), shared_apps=[], slots=2, stop=threading.Event(),
                       holding=lambda: [second["replicate"]])
    new.login()
    upload = sign_result(second, archive, b"", key)
    batch = {"results": [{**{k: v for k, v in upload.items() if k != "archive"}, "archive": "a0"}], "failures": [],
             "pull": {"max_jobs": 1, "cached": []}}
    response = requests.post(f"{scheduler.url}/api/v1/worker/reports", timeout=30,
                             headers={"Authorization": f"Bearer {old.token}"},
                             files=[("report", (None, json.dumps(batch), "application/json")),
                                    ("a0", ("r.tar", archive, "application/x-tar"))])
    assert response.status_code == 401 and "log in again" in response.json()["detail"]
    replicate = {r["status"] for r in grid.alice.get(f"/jobs/{second['job']}/replicates")}
    assert replicate == {"RUNNING"}  # nothing applied
    assert new.report([upload], [])["accepted"] == [second["replicate"]]
    assert finished(grid.alice, second["job"])["status"] == "COMPLETED"


def test_checksum_mismatch_fails_the_job(grid, sqlite_url, tmp_path):
    scheduler = grid.start(sqlite_url)
    tool = script(tmp_path, "tool.sh", "echo fine\n")
    wrong = hashlib.sha256(b"something else").hexdigest()
    grid.alice.send_app("by-uri", "x86_64", "linux", f"file://{tool}", checksum=wrong)
    stored = grid.alice.send_app("tampered", "x86_64", "linux", script(tmp_path, "t.sh", "echo ok\n"))
    blob = next((tmp_path / "blobs").rglob(stored["checksum"]))
    blob.write_bytes(b"#!/bin/sh\necho evil\n")
    grid.worker(0)
    for app in ("by-uri", "tampered"):
        uid = grid.alice.submit(app, [], max_retries=1)["uid"]
        job = wait_until(lambda: finished(grid.alice, uid), 30, what=f"job of {app}")
        assert job["status"] == "ERROR" and job["result"] is None
        assert "checksum mismatch" in job["error"] and "gave up after 1 retry" in job["error"]
    assert scheduler.proc.poll() is None


def test_overrunning_job_is_killed_and_ends_in_error(grid, sqlite_url):
    grid.start(sqlite_url, extra=("--max-worker-failures", "2"))
    grid.alice.send_app("sleep", "x86_64", "linux", "/bin/sleep")
    uid = grid.alice.submit("sleep", ["30"], max_wall_seconds=1, max_retries=3)["uid"]
    worker = grid.worker(0)
    assert worker.proc.wait(30) != 0  # two overruns in a row: blacklisted, so it stops
    assert "2 consecutive failures" in worker.output()
    reps = grid.alice.get(f"/jobs/{uid}/replicates")
    assert [r["status"] for r in reps[:2]] == ["FAILED", "FAILED"]
    assert "wall time limit of 1 s exceeded" in reps[0]["error"]
    grid.worker(1)
    grid.worker(2)
    job = wait_until(lambda: finished(grid.alice, uid), 30, what="retries to run out")
    assert job["status"] == "ERROR"
    assert "gave up after 3 retries" in job["error"] and "wall time limit of 1 s exceeded" in job["error"]


def test_deadline_ends_a_job(grid, sqlite_url):
    grid.start(sqlite_url)
    grid.alice.add_shared("nobody-has-this")
    uid = grid.alice.submit("nobody-has-this", [], deadline=time.time() + 1)["uid"]
    job = wait_until(lambda: finished(grid.alice, uid), 15, what="deadline")
    assert job["status"] == "ERROR" and "deadline passed" in job["error"]


def test_docker_app_without_engine_and_a_shared_tool(grid, sqlite_url, tmp_path):
    grid.start(sqlite_url)
    grid.alice.add_docker("alpine-echo", "alpine:3.19", image_id="a1" * 32)
    uid = grid.alice.submit("alpine-echo", ["hi"])["uid"]
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    probe = grid.alice.submit("echo", ["probe"])["uid"]
    worker = grid.worker(0, extra=("--shared-app", "sh", "--shared-app", "no-such-tool-here"))
    wait_until(lambda: finished(grid.alice, probe), 30, what="the probe job")  # the worker has pulled since
    assert "no Docker engine is available" in worker.output() or "docker command is not installed" in worker.output()
    [me] = grid.alice.get("/workers")
    assert me["shared_apps"] == ["sh"]
    assert "not offering shared app 'no-such-tool-here'" in worker.output()
    assert grid.alice.job(uid)["status"] == "PENDING"
    assert "'alpine-echo' is a Docker app and no connected worker offers a Docker engine" in grid.alice.job(uid)["waiting"]
    grid.alice.add_shared("sh")  # a local tool the worker declared: it runs there, nothing travels
    shared = grid.alice.submit("sh", ["-c", "echo from a shared tool"])["uid"]
    job = wait_until(lambda: finished(grid.alice, shared), 30, what="the shared-app job")
    assert job["status"] == "COMPLETED"
    assert read_member(grid.alice.result_archive(shared), "stdout") == b"from a shared tool\n"
