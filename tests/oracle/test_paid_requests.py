"""Paid requests through the whole path: real anvil, scheduler, workers and oracle processes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from offchain_grid.public import OracleStatus
from oracle import localnet
from oracle.artifacts import PROJECT_ROOT
from oracle.deployment import RLC_UNIT, deploy_contract, transact
from oracle.localnet import request_vanity, start_oracle, wait_for_answer

from .conftest import APPS, events, oracle_tasks, task_state, wait_until


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("paid")
    net = localnet.build(workdir, workers=3, trust=3, block_time=None)
    net.workdir = workdir
    net.answer_app = net.add_app("answer", APPS / "answer.py")
    net.crash_app = net.add_app("crash", APPS / "crash.sh")
    net.split_app = net.add_app("fails-differently", APPS / "fails_differently.sh")
    net.nowhere_app = net.add_app("nowhere", APPS / "answer.py", arch="ppc64le")  # no worker can run it
    oracle = start_oracle(net, workdir, "--poll-interval", "0.2")
    yield net
    oracle.terminate()
    oracle.wait(10)
    net.stop()


def balances(net, *addresses):
    hub = net.contract("Hub")
    return [hub.functions.balanceOf(a).call() for a in addresses]


def test_vanity_request_at_trust_3_lands_in_the_dapp(net):
    hub, rlc = net.contract("Hub"), net.contract("RLC")
    price = localnet.vanity_price(net)
    user = net.key(localnet.USER).address
    app_owner, pool_owner = net.key(localnet.APP_OWNER).address, net.key(localnet.POOL_OWNER).address
    before_user = rlc.functions.balanceOf(user).call()
    before = balances(net, app_owner, pool_owner)
    task_id, _receipt = request_vanity(net, "be", price)
    found = wait_for_answer(net, task_id, timeout=90)
    assert found.lower().startswith("0xbe")
    [finalized] = events(net, "TaskFinalized", task_id)
    assert finalized["args"]["callbackSucceeded"] is True
    assert finalized["args"]["workers"] == 3
    assert rlc.functions.balanceOf(user).call() == before_user - price
    after = balances(net, app_owner, pool_owner)
    pool_fee = 3 * localnet.POOL_PRICE * localnet.OWNER_FEE_BPS // 10_000  # trust 3: three replicas paid for
    callback_price = localnet.VANITY_CALLBACK_GAS * localnet.CALLBACK_GAS_PRICE
    assert after[0] - before[0] == localnet.APP_PRICE
    assert after[1] - before[1] == pool_fee + callback_price
    assert finalized["args"]["workerReward"] == localnet.POOL_PRICE - localnet.POOL_PRICE * localnet.OWNER_FEE_BPS // 10_000
    assert wait_until(lambda: task_state(net.workdir, task_id) == "FINALIZED", 20, what="FINALIZED")


def test_trust_1_direct_request_calls_back_with_the_answer(net):
    store = deploy_contract(net.w3, net.key(localnet.DEPLOYER), "ValueStore")
    task_id, _request, _receipt = net.request(net.answer_app, trust=1, callback=store.address)
    wait_until(lambda: events(net, "TaskFinalized", task_id), 60, what="TaskFinalized")
    assert store.functions.s_value().call() == (42).to_bytes(32, "big")
    assert store.functions.s_lastTask().call() == task_id
    [finalized] = events(net, "TaskFinalized", task_id)
    assert finalized["args"]["workers"] == 1


def test_reverting_callback_does_not_block_payment(net):
    receiver = deploy_contract(net.w3, net.key(localnet.DEPLOYER), "RevertingReceiver")
    app_owner = net.key(localnet.APP_OWNER).address
    [before] = balances(net, app_owner)
    task_id, _request, _receipt = net.request(net.answer_app, trust=1, callback=receiver.address)
    [finalized] = wait_until(lambda: events(net, "TaskFinalized", task_id), 60, what="TaskFinalized")
    assert finalized["args"]["callbackSucceeded"] is False
    assert balances(net, app_owner)[0] - before == localnet.APP_PRICE
    assert net.contract("Hub").functions.taskStatus(task_id).call() == 2  # Finalized


def test_app_failing_on_every_worker_is_refunded(net):
    rlc = net.contract("RLC")
    user = net.key(localnet.USER).address
    before = rlc.functions.balanceOf(user).call()
    task_id, _request, _receipt = net.request(net.crash_app, trust=3)
    [failed] = wait_until(lambda: events(net, "TaskFailed", task_id), 90, what="TaskFailed")
    assert "exited with code 3" in failed["args"]["reason"]
    assert "cannot compute this" in failed["args"]["reason"]
    assert rlc.functions.balanceOf(user).call() == before  # paid, then refunded in full
    assert not events(net, "TaskFinalized", task_id)
    assert wait_until(lambda: task_state(net.workdir, task_id) == "REFUNDED", 20, what="REFUNDED")


def test_replicas_failing_differently_are_refunded_at_once_with_the_reason(net):
    """No quorum can be reached (three workers, three different failures): the failure is
    reported as soon as the votes are in, not at the deadline."""
    rlc = net.contract("RLC")
    user = net.key(localnet.USER).address
    before = rlc.functions.balanceOf(user).call()
    task_id, _request, _receipt = net.request(net.split_app, trust=3, duration=600)
    [failed] = wait_until(lambda: events(net, "TaskFailed", task_id), 90, what="TaskFailed")
    reason = failed["args"]["reason"]
    assert reason.startswith("no quorum: 3 results, at most 1 identical, 3 needed; exit codes 1; first stderr: failed in run ")
    assert rlc.functions.balanceOf(user).call() == before
    task = oracle_tasks(net.workdir)["0x" + task_id.hex()]
    assert net.w3.eth.get_block("latest")["timestamp"] < task.deadline - 500  # minutes before its deadline
    assert net.grid.client().job(task.job_uid)["status"] == "ABORTED"  # the grid stops retrying it


def test_task_past_its_deadline_is_claimed_back_for_the_requester(net):
    rlc = net.contract("RLC")
    user = net.key(localnet.USER).address
    before = rlc.functions.balanceOf(user).call()
    task_id, _request, _receipt = net.request(net.nowhere_app, trust=1, duration=120)
    wait_until(lambda: task_state(net.workdir, task_id) == "DISPATCHED", 30, what="dispatch")
    net.w3.provider.make_request("evm_increaseTime", [180])
    net.w3.provider.make_request("evm_mine", [])
    [claimed] = wait_until(lambda: events(net, "TaskClaimed", task_id), 60, what="TaskClaimed")
    assert claimed["args"]["refundTo"] == user
    assert rlc.functions.balanceOf(user).call() == before
    assert wait_until(lambda: task_state(net.workdir, task_id) == "CLAIMED", 20, what="CLAIMED")


def test_status_command_shows_cursor_tasks_and_errors(net):
    done = subprocess.run([sys.executable, "-m", "oracle.cli", "status", "--db", f"sqlite:///{net.workdir / 'oracle.db'}",
                           "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    import json

    status = json.loads(done.stdout)
    assert status["cursors"][0]["block"] >= net.deployment.start_block
    assert status["counts"].get("FINALIZED", 0) >= 1
    assert len(oracle_tasks(net.workdir)) == sum(status["counts"].values())


def test_status_command_with_a_bad_database_url_is_one_clear_line():
    done = subprocess.run([sys.executable, "-m", "oracle.cli", "status", "--db", "nosuchdb://x"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr


def register_dataset(net, name: str, content: bytes, checksum: str | None = None) -> int:
    path = net.workdir / name
    path.write_bytes(content)
    data = net.app_owner_grid.send_data(str(path), name=name)
    owner = net.key(localnet.APP_OWNER)
    hub = net.contract("Hub")
    checksum = checksum or hashlib.sha256(content).hexdigest()
    transact(net.w3, owner, hub.functions.registerDataset(1 * RLC_UNIT, bytes.fromhex(checksum), data["uid"]))
    return hub.functions.s_datasetCount().call()


def test_dataset_travels_to_the_workers_and_its_owner_is_paid(net):
    app = net.add_app("wc", APPS / "wc.py")
    dataset = register_dataset(net, "numbers.txt", b"0123456789" * 7)
    store = deploy_contract(net.w3, net.key(localnet.DEPLOYER), "ValueStore")
    owner = net.key(localnet.APP_OWNER).address
    [before] = balances(net, owner)
    task_id, _request, _receipt = net.request(app, trust=1, dataset=dataset, params="numbers.txt",
                                              callback=store.address)
    wait_until(lambda: events(net, "TaskFinalized", task_id), 60, what="TaskFinalized")
    assert store.functions.s_value().call() == (70).to_bytes(32, "big")
    assert balances(net, owner)[0] - before == localnet.APP_PRICE + 1 * RLC_UNIT  # app and dataset


def test_dataset_checksum_mismatch_is_refused_and_refunded(net):
    dataset = register_dataset(net, "tampered.txt", b"original", checksum="ab" * 32)
    task_id, _request, _receipt = net.request(net.answer_app, trust=1, dataset=dataset)
    [failed] = wait_until(lambda: events(net, "TaskFailed", task_id), 60, what="TaskFailed")
    assert "checksum mismatch" in failed["args"]["reason"]
    assert oracle_tasks(net.workdir)["0x" + task_id.hex()].job_uid is None  # never sent to the grid


def test_app_unknown_on_the_grid_is_refused_with_its_reason(net):
    hub = net.contract("Hub")
    transact(net.w3, net.key(localnet.APP_OWNER), hub.functions.registerApp(1, b"\x01" * 32, "not-on-the-grid"))
    app = hub.functions.s_appCount().call()
    task_id, _request, _receipt = net.request(app, trust=1)
    [failed] = wait_until(lambda: events(net, "TaskFailed", task_id), 60, what="TaskFailed")
    assert "unknown on the grid" in failed["args"]["reason"]


def oracle_run(net, key: str, token: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ORACLE_PRIVATE_KEY=key)
    return subprocess.run([sys.executable, "-m", "oracle.cli", "run", "--rpc-url", net.chain.url,
                           "--deployment", str(net.workdir / "local.json"), "--scheduler", net.grid.url,
                           "--grid-token", token, "--db", f"sqlite:///{net.workdir / 'refused.db'}"],
                          env=env, capture_output=True, text=True, timeout=120)


def test_oracle_run_with_a_key_that_is_not_the_pools_oracle_stops_in_one_line(net):
    user = net.key(localnet.USER)
    done = oracle_run(net, "0x" + bytes(user.key).hex(), net.grid.token)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"Error: the oracle key's address {user.address} is not pool {net.deployment.pool}'s oracle "
        f"({net.key(localnet.ORACLE).address}): run with the key the pool names, or update the pool")


def test_oracle_run_with_a_token_the_grid_refuses_is_an_authorization_error(net):
    done = oracle_run(net, "0x" + bytes(net.key(localnet.ORACLE).key).hex(), "not-a-valid-token-at-all")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"the grid at {net.grid.url} refuses the oracle's token (401)" in done.stderr.strip().splitlines()[-1]


GRAFANA = PROJECT_ROOT / "monitoring" / "grafana" / "dashboards" / "cumulus.json"


def _samples(url: str) -> dict:
    """/metrics parsed by the Prometheus client's own parser: (name, labels) -> value."""
    response = requests.get(url + "/metrics", timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_metrics_status_and_dashboard_after_a_task(net):
    task_id, receipt = request_vanity(net, "a1", localnet.vanity_price(net))
    wait_for_answer(net, task_id, timeout=90)
    tid = "0x" + task_id.hex()
    task = wait_until(lambda: (t := requests.get(f"{net.monitor_url}/tasks/{tid}", timeout=10).json())
                      .get("state") == "FINALIZED" and t, 30, what="the task finalized at /tasks")
    assert task["requested_block"] == receipt["blockNumber"] and task["settled_block"] >= task["requested_block"]
    assert task["latency_blocks"] == task["settled_block"] - task["requested_block"] and task["gas"] > 21_000
    assert requests.get(f"{net.monitor_url}/tasks/0x{'00' * 32}", timeout=10).status_code == 404

    oracle = _samples(net.monitor_url)
    assert oracle[("cumulus_oracle_tasks", (("state", "FINALIZED"),))] >= 1
    assert oracle[("cumulus_oracle_transactions_mined_total", ())] >= 1
    assert oracle[("cumulus_oracle_gas_total", ())] >= task["gas"]
    assert oracle[("cumulus_oracle_pool_earned_rlc_total", ())] > 0
    assert oracle[("cumulus_oracle_settle_latency_blocks_count", ())] >= 1
    assert oracle[("cumulus_oracle_blocks_behind", ())] >= 0 and oracle[("cumulus_oracle_chain_up", ())] == 1

    status = OracleStatus.model_validate(requests.get(f"{net.monitor_url}/status", timeout=10).json())
    assert status.finalized >= 1 and status.pool == net.deployment.pool and tid in [t.task_id for t in status.recent]
    shown = wait_until(lambda: (o := requests.get(f"{net.grid.url}/api/v1/dashboard", timeout=10).json()["oracle"])
                       ["reachable"] and o, 30, what="the oracle on the grid's dashboard")
    assert shown["status"]["finalized"] >= 1
    grid = _samples(net.grid.url)
    assert grid[("cumulus_grid_jobs", (("status", "COMPLETED"),))] >= 1
    assert grid[("cumulus_grid_workers", (("status", "ALIVE"),))] == 3

    # the Grafana dashboard shipped in the repository reads only series these two serve
    panels = json.loads(GRAFANA.read_text())["panels"]
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    used = {name for expr in exprs for name in re.findall(r"\bcumulus_[a-z_]+", expr)}
    served = {name for name, _labels in [*grid, *oracle]}
    assert len(used) >= 15 and used <= served, used - served
