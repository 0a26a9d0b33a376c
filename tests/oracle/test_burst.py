"""200 paid requests in flight at once (1-second blocks): each finalized exactly once, settled in
batches (many tasks per finalizeBatch transaction), from one grid lookup per step."""

from __future__ import annotations

from collections import Counter

from web3.logs import DISCARD

from oracle import localnet
from oracle.localnet import request_burst, start_oracle

from .conftest import APPS, oracle_tasks, oracle_txs, wait_until

REQUESTS = 200


def test_200_requests_in_flight_are_settled_in_batches_each_exactly_once(tmp_path):
    net = localnet.build(tmp_path, workers=3, trust=1, block_time=1.0, grid_worker_count=0)
    for index in range(3):
        net.grid.add_worker(net.worker_key(index), slots=4)
    oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2")
    try:
        app = net.add_app("answer", APPS / "answer.py")
        hub = net.contract("Hub")
        receipts = request_burst(net, app, REQUESTS, trust=1)
        requested = {bytes(e["args"]["taskId"]) for r in receipts
                     for e in hub.events.TaskRequested().process_receipt(r, errors=DISCARD)}
        assert len(requested) == REQUESTS

        def finalized() -> Counter:
            return Counter(bytes(e["args"]["taskId"])
                           for e in hub.events.TaskFinalized().get_logs(from_block=net.deployment.start_block))

        wait_until(lambda: set(finalized()) >= requested, 300, interval=1.0, what="every request finalized")
        net.w3.provider.make_request("anvil_mine", ["0x3"])  # later batches, if any, would show now
        counts = finalized()
        assert set(counts) == requested and set(counts.values()) == {1}  # each exactly once
        batches = {e["transactionHash"] for e in hub.events.TaskFinalized().get_logs(from_block=net.deployment.start_block)}
        assert len(batches) <= REQUESTS // 5  # settled in batches, not one transaction per task
        wait_until(lambda: sum(t.state == "FINALIZED" for t in oracle_tasks(tmp_path).values()) == REQUESTS, 60,
                   what="the oracle's records FINALIZED")
        assert {t.state for t in oracle_txs(tmp_path)} <= {"MINED", "REPLACED"}  # nothing reverted or dropped
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()
