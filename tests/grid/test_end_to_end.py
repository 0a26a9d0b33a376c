"""The seed's example and a full on-chain-shaped job, with real scheduler and worker processes, on both databases."""

import os
import stat

from offchain_grid.archive import read_member
from offchain_grid.contribution import (callback_data_hash, grid_domain, grid_task_id, hub_domain,
                                        recover_contributor)

from .procs import TOKEN, finished, job_story, wait_until, xw

HUB = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TASK = "0x" + "7a" * 32

SCRIPT = """#!/usr/bin/env python3
import os, sys
text = open("numbers.txt").read().split()
total = sum(int(x) for x in text) * int(sys.argv[1])
with open(os.path.join(os.environ["CUMULUS_OUTPUT_DIR"], "total.txt"), "w") as out:
    out.write(str(total))
with open(os.environ["CUMULUS_CALLBACK_FILE"], "wb") as cb:
    cb.write(total.to_bytes(32, "big"))
print("total", total, "stdin", sys.stdin.read().strip())
"""


def test_ls_example_through_the_cli(grid, db_url, tmp_path):
    scheduler = grid.start(db_url, lease=10.0, alive=10.0)  # no lease runs out here, however busy the machine
    grid.worker(0)
    env = {"XW_SERVER": scheduler.url, "XW_TOKEN": TOKEN}
    sent = xw("sendapp", "ls", "DEPLOYABLE", "X86_64", "linux", "/bin/ls", env=env)
    assert sent.returncode == 0, sent.stderr
    submitted = xw("submit", "ls", "-a", env=env)
    assert submitted.returncode == 0, submitted.stderr
    uid = submitted.stdout.strip()
    fetched = xw("result", uid, "--wait", "--dir", str(tmp_path / "out"), env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.split() == [".", "..", "output"]  # the job directory as the worker saw it
    assert (tmp_path / "out" / "stdout").read_text() == fetched.stdout
    assert (tmp_path / "out" / "exit_code").read_text() == "0\n"
    job = grid.alice.job(uid)
    [signature] = job["result"]["signatures"]
    assert signature["worker"] == grid.address(0)
    assert recover_contributor(grid_domain(), grid_task_id(uid), job["result"]["result_digest"],
                               callback_data_hash(b""), signature["signature"]) == grid.address(0)


def test_onchain_job_with_data_stdin_callback_and_replication(grid, db_url, tmp_path):
    grid.start(db_url, lease=10.0, alive=10.0)  # no lease runs out here, however busy the machine
    workers = [grid.worker(index) for index in (0, 1)]
    script = tmp_path / "summer.py"
    script.write_text(SCRIPT)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    grid.alice.send_app("summer", "x86_64", "linux", str(script))
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("1 2 3 4\n")
    data = grid.alice.send_data(str(numbers))
    job = grid.alice.submit("summer", ["3"], data=[data["uid"]], stdin="hi", replication=2,
                            external_id="task-1", onchain={"chain_id": 31337, "hub": HUB, "task_id": TASK})
    uid = job["uid"]
    job = wait_until(lambda: finished(grid.alice, uid), 60, what="job")
    assert job["status"] == "COMPLETED", job_story(grid.alice, uid, workers)
    result = job["result"]
    assert result["callback_data"] == "0x" + (30).to_bytes(32, "big").hex()
    assert result["callback_data_hash"] == "0x" + callback_data_hash((30).to_bytes(32, "big")).hex()
    signers = {recover_contributor(hub_domain(31337, HUB), TASK, result["result_digest"], result["callback_data_hash"],
                                   s["signature"]) for s in result["signatures"]}
    assert signers == {grid.address(0), grid.address(1)} == {s["worker"] for s in result["signatures"]}
    assert result["dissents"] == []
    archive = grid.alice.result_archive(job["uid"])
    assert read_member(archive, "stdout") == b"total 30 stdin hi\n"
    assert read_member(archive, "output/total.txt") == b"30"
    assert "0x" + __import__("hashlib").sha256(archive).hexdigest() == result["result_digest"]
    again = grid.alice.submit("summer", ["3"], data=[data["uid"]], external_id="task-1")
    assert again["uid"] == job["uid"]  # idempotent by external id
    assert len(grid.alice.get("/jobs")) == 1
    grid.alice.request("DELETE", "/apps/summer")  # its only job is finished: allowed
    assert grid.alice.job(job["uid"])["app"] == "summer" and grid.alice.get("/apps") == []
    grid.alice.request("DELETE", f"/datas/{data['uid']}")
    assert grid.alice.get("/datas") == []
    assert os.path.isdir(tmp_path / "worker-w0" / "cache")
