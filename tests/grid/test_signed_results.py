"""A worker never signs two different results for one on-chain task, whatever its scheduler
sends: that pair of signatures would cost it its whole stake."""

from offchain_grid.worker.ledger import SignedResults

from .procs import finished, job_story, wait_until

HUB = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TASK = "0x" + "5e" * 32
ONCHAIN = {"chain_id": 31337, "hub": HUB, "task_id": TASK}


def _assignment(task_id=TASK, chain_id=31337):
    return {"task_id": task_id, "domain": {"name": "CumulusHub", "version": "1", "chain_id": chain_id,
                                           "verifying_contract": HUB}}


def _result(digest_byte, callback="0x"):
    return {"result_digest": "0x" + digest_byte * 32, "callback_data": callback}


def test_second_result_for_a_task_is_refused_even_after_a_restart(tmp_path):
    ledger = SignedResults(tmp_path / "signed.db")
    assert ledger.may_sign(_assignment(), _result("aa"))
    assert ledger.may_sign(_assignment(), _result("aa"))  # the same result again signs nothing new
    assert not ledger.may_sign(_assignment(), _result("bb"))
    assert not ledger.may_sign(_assignment(), _result("aa", "0x01"))  # other callback data: another result
    ledger.close()
    assert not SignedResults(tmp_path / "signed.db").may_sign(_assignment(), _result("bb"))


def test_other_tasks_and_plain_grid_jobs_are_not_held_back(tmp_path):
    ledger = SignedResults(tmp_path / "signed.db")
    assert ledger.may_sign(_assignment(), _result("aa"))
    assert ledger.may_sign(_assignment(task_id="0x" + "11" * 32), _result("bb"))
    assert ledger.may_sign(_assignment(chain_id=0), _result("cc"))
    assert ledger.may_sign(_assignment(chain_id=0), _result("dd"))


def test_scheduler_sending_one_task_twice_with_other_inputs_gets_one_signature(grid, sqlite_url):
    grid.start(sqlite_url, lease=10.0, alive=10.0)
    worker = grid.worker(0)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    first = grid.alice.submit("echo", ["one"], onchain=ONCHAIN)
    job = wait_until(lambda: finished(grid.alice, first["uid"]), 60, what="first job")
    assert job["status"] == "COMPLETED", job_story(grid.alice, first["uid"], [worker])
    second = grid.alice.submit("echo", ["two"], onchain=ONCHAIN, max_retries=0)
    job = wait_until(lambda: finished(grid.alice, second["uid"]), 60, what="second job")
    assert job["status"] == "ERROR", job_story(grid.alice, second["uid"], [worker])
    [replicate] = grid.alice.get(f"/jobs/{second['uid']}/replicates")
    assert "already signed another result for task" in replicate["error"]
    assert replicate["signature"] is None
