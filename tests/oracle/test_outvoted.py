"""A worker that returns a wrong result is outvoted on the grid and on chain: it is not paid and
loses reputation, but keeps its stake (being outvoted is no proof of fault)."""

from __future__ import annotations

from oracle import localnet
from oracle.deployment import deploy_contract
from oracle.localnet import start_oracle

from ..grid.procs import LIAR
from .conftest import APPS, events, oracle_tasks, wait_until


def test_wrong_worker_is_outvoted_not_slashed(tmp_path):
    net = localnet.build(tmp_path, workers=4, trust=3, block_time=None, grid_worker_count=0)
    oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2")
    try:
        app = net.add_app("answer", APPS / "answer.py")
        store = deploy_contract(net.w3, net.key(localnet.DEPLOYER), "ValueStore")
        liar_address = net.chain.keys[localnet.FIRST_WORKER].address
        net.grid.add_worker(net.worker_key(0), name="liar", program=[str(LIAR)])
        task_id, _request, _receipt = net.request(app, trust=3, callback=store.address)
        client = net.grid.client()

        def liar_answered():
            task = oracle_tasks(tmp_path).get("0x" + task_id.hex())
            if not task or not task.job_uid:
                return False
            replicates = client.get(f"/jobs/{task.job_uid}/replicates")
            return any(r["status"] not in ("PENDING", "RUNNING") for r in replicates)

        wait_until(liar_answered, 60, what="the liar's replicate")
        for index in (1, 2, 3):
            net.grid.add_worker(net.worker_key(index))
        [finalized] = wait_until(lambda: events(net, "TaskFinalized", task_id), 90, what="TaskFinalized")
        hub = net.contract("Hub")
        [outvoted] = hub.events.WorkerOutvoted().get_logs(from_block=net.deployment.start_block)
        assert (outvoted["args"]["worker"], outvoted["args"]["taskId"]) == (liar_address, task_id)
        assert not hub.events.WorkerSlashed().get_logs(from_block=net.deployment.start_block)
        pool, stake, earnings, _score, left_at = hub.functions.s_workers(liar_address).call()
        assert (pool, stake, earnings, left_at) == (net.deployment.pool, localnet.MIN_STAKE, 0, 0)
        assert finalized["args"]["workers"] == 3
        assert finalized["args"]["workerReward"] == localnet.POOL_PRICE - localnet.POOL_PRICE * localnet.OWNER_FEE_BPS // 10_000
        assert store.functions.s_value().call() == (42).to_bytes(32, "big")  # the honest answer
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()
