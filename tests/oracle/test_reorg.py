"""Reorgs with anvil_reorg: nothing from an orphaned block is finalized; a request mined again
is served once; one that is not is never served."""

from __future__ import annotations

from web3.logs import DISCARD

from oracle import localnet
from oracle.deployment import transact
from oracle.hub import task_spec
from oracle.localnet import start_oracle

from .conftest import APPS, events, oracle_tasks, wait_until


def signed_request(net, app: int, params: bytes) -> tuple[bytes, bytes]:
    """Approves the Hub, then signs (without sending) a request; returns the raw tx and the price."""
    hub, rlc = net.contract("Hub"), net.contract("RLC")
    user = net.key(localnet.USER)
    spec = task_spec(app, net.deployment.pool, duration=120, params=params)
    price = hub.functions.quote(spec).call()
    transact(net.w3, user, rlc.functions.approve(hub.address, price))
    tx = hub.functions.requestTask(spec).build_transaction({
        "from": user.address, "nonce": net.w3.eth.get_transaction_count(user.address), "gas": 400_000,
    })
    return bytes(user.sign_transaction(tx).raw_transaction), price


def send(net, raw: bytes) -> bytes:
    receipt = net.w3.eth.wait_for_transaction_receipt(net.w3.eth.send_raw_transaction(raw))
    [event] = net.contract("Hub").events.TaskRequested().process_receipt(receipt, errors=DISCARD)
    return bytes(event["args"]["taskId"])


def task(workdir, task_id: bytes):
    return oracle_tasks(workdir).get("0x" + task_id.hex())


def test_orphaned_request_is_never_served_and_a_remined_one_is_served_once(tmp_path):
    net = localnet.build(tmp_path, workers=1, trust=1, block_time=None, grid_worker_count=0)
    oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2")
    try:
        app = net.add_app("answer", APPS / "answer.py")
        rlc, hub = net.contract("RLC"), net.contract("Hub")
        user = net.key(localnet.USER).address
        balance_before = rlc.functions.balanceOf(user).call()

        # A: dispatched, then its block is replaced by an empty one
        raw_a, _price = signed_request(net, app, b"first")
        orphan = send(net, raw_a)
        wait_until(lambda: task(tmp_path, orphan) and task(tmp_path, orphan).state == "DISPATCHED", 30, what="A dispatched")
        net.w3.provider.make_request("anvil_reorg", [1, []])
        wait_until(lambda: task(tmp_path, orphan).held, 30, what="A held")
        assert hub.functions.taskStatus(orphan).call() == 0

        # B: dispatched, then its block is replaced by one that mines the same request again
        raw_b, price = signed_request(net, app, b"second")
        first_b = send(net, raw_b)
        wait_until(lambda: task(tmp_path, first_b) and task(tmp_path, first_b).state == "DISPATCHED", 30, what="B dispatched")
        first_hash = task(tmp_path, first_b).block_hash
        net.w3.provider.make_request("anvil_reorg", [1, [["0x" + raw_b.hex(), 0]]])

        def b_seen_again():
            b = task(tmp_path, first_b)
            return len(oracle_tasks(tmp_path)) == 3 or (not b.held and b.block_hash != first_hash)

        wait_until(b_seen_again, 30, what="B mined again")

        net.grid.add_worker(net.worker_key(0))  # now the jobs can run
        requested = hub.events.TaskRequested().get_logs(from_block=net.deployment.start_block)
        [remined] = [bytes(e["args"]["taskId"]) for e in requested if bytes(e["args"]["taskId"]) != orphan]
        wait_until(lambda: events(net, "TaskFinalized", remined), 60, what="B finalized")
        assert len(events(net, "TaskFinalized", remined)) == 1
        if remined != first_b:
            assert not events(net, "TaskFinalized", first_b)
        assert rlc.functions.balanceOf(user).call() == balance_before - price  # B paid once, A not at all

        # A's job completed too, but A is not on the chain: it ends orphaned, never finalized
        net.w3.provider.make_request("evm_increaseTime", [300])
        net.w3.provider.make_request("evm_mine", [])
        wait_until(lambda: task(tmp_path, orphan).state == "ORPHANED", 30, what="A orphaned")
        assert not events(net, "TaskFinalized", orphan)
        assert not events(net, "TaskClaimed", orphan)
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()
