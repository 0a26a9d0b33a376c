"""What counts as a result: well-formed archives only, stored results stay, a liar's pending votes go."""

import threading

import pytest
from eth_account import Account

from offchain_grid.archive import pack_result
from offchain_grid.worker.client import WorkerClient
from offchain_grid.worker.runner import sign_result

from .conftest import WORKER_KEYS
from .procs import finished, wait_until


@pytest.mark.parametrize("archive", [b"this is not a tar", pack_result(b"hello\n", b"", 0, None) + b"junk",
                                     pack_result(b"hello\n", b"", 0, None)[:-1024]],
                         ids=["not-a-tar", "trailing-bytes", "no-end-blocks"])
def test_malformed_archive_is_refused_and_the_job_goes_elsewhere(grid, sqlite_url, archive, tmp_path):
    scheduler = grid.start(sqlite_url)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    uid = grid.alice.submit("echo", ["hello"])["uid"]
    sloppy = WorkerClient(scheduler.url, Account.from_key(WORKER_KEYS[5]), shared_apps=[], slots=1,
                          stop=threading.Event())
    sloppy.login()
    [assignment] = sloppy.pull(1, [])["assignments"]
    outcome = sloppy.report([sign_result(assignment, archive, b"", sloppy.account.key)], [])  # digest and signature fine
    assert outcome["accepted"] == []
    assert "result archive" in outcome["rejected"][0]["reason"]
    [rep] = grid.alice.get(f"/jobs/{uid}/replicates")[:1]
    assert rep["status"] == "FAILED" and "result archive" in rep["error"]
    grid.worker(1)
    job = wait_until(lambda: finished(grid.alice, uid), 30, what="an honest worker")
    assert job["status"] == "COMPLETED"
    assert [s["worker"] for s in job["result"]["signatures"]] == [grid.address(1)]
    (tmp_path / "output").mkdir()
    assert grid.alice.result_archive(uid) == pack_result(b"hello\n", b"", 0, tmp_path / "output")


def test_another_user_cannot_delete_a_result_by_uploading_its_bytes(grid, sqlite_url, tmp_path):
    grid.start(sqlite_url, lease=10.0, alive=10.0)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    uid = grid.alice.submit("echo", ["private", "result"])["uid"]
    grid.worker(1)
    job = wait_until(lambda: finished(grid.alice, uid), 30, what="the job")
    assert job["status"] == "COMPLETED"
    (tmp_path / "output").mkdir()
    same = tmp_path / "same.tar"  # results are deterministic: anyone can rebuild the bytes
    same.write_bytes(pack_result(b"private result\n", b"", 0, tmp_path / "output"))
    assert "0x" + grid.bob.send_data(str(same))["checksum"] == job["result"]["result_digest"]
    [copy] = grid.bob.get("/datas")
    grid.bob.request("DELETE", f"/datas/{copy['uid']}")
    assert grid.alice.result_archive(uid) == same.read_bytes()


def protocol_worker(url: str, index: int) -> WorkerClient:
    client = WorkerClient(url, Account.from_key(WORKER_KEYS[index]), shared_apps=[], slots=1, stop=threading.Event())
    client.login()
    return client


def test_a_liars_pending_votes_are_discarded_when_it_is_caught(grid, sqlite_url):
    """Blacklisted at its first outvoted result; its votes on other jobs, not counted yet, stop counting."""
    scheduler = grid.start(sqlite_url, lease=60.0, alive=60.0)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    uids = [ref["uid"] for ref in grid.alice.submit_batch([{"app": "echo", "replication": 2}] * 3)]
    liar, honest_a, honest_b = (protocol_worker(scheduler.url, i) for i in (5, 6, 7))
    lie, truth = pack_result(b"41\n", b"", 0, None), pack_result(b"42\n", b"", 0, None)
    held = liar.pull(3, [])["assignments"]
    assert sorted(a["job"] for a in held) == sorted(uids)
    assert liar.report([sign_result(a, lie, b"", liar.account.key) for a in held], [])["rejected"] == []
    for honest in (honest_a, honest_b):  # job 0 first: the oldest job's replicates are served first
        [assignment] = honest.pull(1, [])["assignments"]
        assert assignment["job"] == uids[0]
        assert honest.report([sign_result(assignment, truth, b"", honest.account.key)], [])["rejected"] == []
    first = grid.alice.job(uids[0])
    assert first["status"] == "COMPLETED" and [d["worker"] for d in first["result"]["dissents"]] == [
        liar.account.address]  # the outvoted vote stays as slashing proof
    workers = {w["address"]: w for w in grid.alice.get("/workers")}
    assert workers[liar.account.address]["blacklisted"]
    for uid in uids[1:]:
        mine = [r for r in grid.alice.get(f"/jobs/{uid}/replicates") if r["worker"] == liar.account.address]
        assert [(r["status"], r["error"]) for r in mine] == [("FAILED", "discarded: its worker was blacklisted")]
    for honest in (honest_a, honest_b):
        for assignment in honest.pull(2, [])["assignments"]:
            honest.report([sign_result(assignment, truth, b"", honest.account.key)], [])
    for uid in uids[1:]:
        job = grid.alice.job(uid)
        assert job["status"] == "COMPLETED" and job["result"]["dissents"] == []  # no proof without a quorum
        assert job["retries_used"] == 0  # the replacement came from the budget for lost replicates
