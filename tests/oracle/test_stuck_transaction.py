"""A finalize stuck in the mempool (automine off) is resent with a higher fee, mined once."""

from __future__ import annotations

from web3.exceptions import TransactionNotFound

from oracle import localnet
from oracle.localnet import start_oracle

from .conftest import APPS, events, oracle_tasks, oracle_txs, wait_until


def in_mempool(net, record) -> bool:
    try:
        return net.w3.eth.get_transaction(record.tx_hash) is not None
    except TransactionNotFound:
        return False


def test_stuck_finalize_is_resent_with_a_higher_fee(tmp_path):
    net = localnet.build(tmp_path, workers=1, trust=1, block_time=None, grid_worker_count=0)
    oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2", "--stuck-after", "2")
    try:
        app = net.add_app("answer", APPS / "answer.py")
        task_id, _request, _receipt = net.request(app, trust=1)
        wait_until(lambda: oracle_tasks(tmp_path).get("0x" + task_id.hex(), None) is not None
                   and oracle_tasks(tmp_path)["0x" + task_id.hex()].state == "DISPATCHED", 30, what="dispatch")
        net.w3.provider.make_request("evm_setAutomine", [False])
        net.grid.add_worker(net.worker_key(0))
        purpose = wait_until(lambda: oracle_tasks(tmp_path)["0x" + task_id.hex()].tx_purpose, 60, what="a finalize batch")
        # the oracle records a resend before it broadcasts it: mine only once the node holds it,
        # or the first one may be mined in between (which the oracle handles, but is not this test)
        wait_until(lambda: len(oracle_txs(tmp_path, purpose)) >= 2 and in_mempool(net, oracle_txs(tmp_path, purpose)[-1]),
                   60, what="a resent finalize in the node's mempool")
        net.w3.provider.make_request("evm_setAutomine", [True])
        net.w3.provider.make_request("evm_mine", [])
        wait_until(lambda: events(net, "TaskFinalized", task_id), 30, what="TaskFinalized")
        sent = wait_until(lambda: [t for t in oracle_txs(tmp_path, purpose) if t.state == "MINED"] and oracle_txs(tmp_path, purpose),
                          30, what="the mined record")
        [mined] = [t for t in sent if t.state == "MINED"]
        first = sent[0]
        assert mined.attempts >= 2 and mined.max_fee > first.max_fee and mined.nonce == first.nonce
        assert all(t.state == "REPLACED" for t in sent if t is not mined)
        assert len(events(net, "TaskFinalized", task_id)) == 1
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()
