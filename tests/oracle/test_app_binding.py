"""An on-chain app or dataset is served only if its on-chain owner is the address its grid
owner proved: a copy registered on chain by someone else (squatting) is refused and refunded."""

from __future__ import annotations

import hashlib

import pytest

from oracle import localnet
from oracle.deployment import transact
from oracle.localnet import start_oracle

from .conftest import APPS, events, oracle_tasks, wait_until

SQUATTER = localnet.DEPLOYER  # any funded key but the app owner's


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("binding")
    net = localnet.build(workdir, workers=1, trust=1, block_time=None)
    net.workdir = workdir
    net.answer_app = net.add_app("answer", APPS / "answer.py")
    oracle = start_oracle(net, workdir, "--poll-interval", "0.2")
    yield net
    oracle.terminate()
    oracle.wait(10)
    net.stop()


def _register(net, role: int, name: str, checksum: str, kind: str = "App") -> int:
    hub = net.contract("Hub")
    transact(net.w3, net.key(role), getattr(hub.functions, f"register{kind}")(1, bytes.fromhex(checksum), name))
    return getattr(hub.functions, f"s_{kind.lower()}Count")().call()


def _refusal(net, task_id: bytes) -> str:
    [failed] = wait_until(lambda: events(net, "TaskFailed", task_id), 60, what="TaskFailed")
    assert not events(net, "TaskFinalized", task_id)
    assert oracle_tasks(net.workdir)["0x" + task_id.hex()].job_uid is None  # never sent to the grid
    return failed["args"]["reason"]


def test_squatted_copy_of_an_app_is_refused_and_refunded(net):
    checksum = hashlib.sha256((APPS / "answer.py").read_bytes()).hexdigest()
    copy = _register(net, SQUATTER, "answer", checksum)
    rlc = net.contract("RLC")
    user = net.key(localnet.USER).address
    before = rlc.functions.balanceOf(user).call()
    task_id, _request, _receipt = net.request(copy, trust=1)
    reason = _refusal(net, task_id)
    assert net.key(SQUATTER).address in reason and net.key(localnet.APP_OWNER).address in reason
    assert rlc.functions.balanceOf(user).call() == before
    # the owner's own registration of the same grid app is served
    served, _request, _receipt = net.request(net.answer_app, trust=1)
    wait_until(lambda: events(net, "TaskFinalized", served), 60, what="TaskFinalized")


def test_app_of_a_grid_user_who_proved_no_address_is_refused(net):
    net.grid.client().send_app("unbound", "x86_64", "linux", str(APPS / "answer.py"))  # the oracle's own account
    checksum = hashlib.sha256((APPS / "answer.py").read_bytes()).hexdigest()
    app = _register(net, localnet.APP_OWNER, "unbound", checksum)
    task_id, _request, _receipt = net.request(app, trust=1)
    assert "a user who proved no address" in _refusal(net, task_id)


def test_dataset_registered_on_chain_by_another_is_refused(net):
    path = net.workdir / "owned.txt"
    path.write_bytes(b"0123456789")
    data = net.app_owner_grid.send_data(str(path), name="owned.txt")
    dataset = _register(net, SQUATTER, data["uid"], hashlib.sha256(b"0123456789").hexdigest(), kind="Dataset")
    task_id, _request, _receipt = net.request(net.answer_app, trust=1, dataset=dataset)
    reason = _refusal(net, task_id)
    assert reason.startswith(f"dataset {dataset} is ") and "on chain" in reason
