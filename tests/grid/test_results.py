"""What the collector accepts as a result: only well-formed result archives count."""

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
