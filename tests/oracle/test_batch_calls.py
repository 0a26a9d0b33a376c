"""The Hub's batched settlement as the oracle calls it (oracle/hub.py), through plain web3 on a
real chain: tasks settle together, the one that cannot is named with its reason."""

from __future__ import annotations

import pytest

from offchain_grid.contribution import callback_data_hash, hub_domain, sign_contribution
from oracle import localnet
from oracle.deployment import transact
from oracle.hub import (Finalization, claim_batch, compact_signature, finalize_batch, report_failure_batch,
                        request_for_call, skipped_tasks)

DIGEST = b"\xd1" * 32


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("batch")
    net = localnet.build(workdir, workers=2, trust=1, block_time=None, grid_worker_count=0)
    yield net
    net.stop()


def _finalization(net, request, worker: int = 0) -> Finalization:
    task_id = net.contract("Hub").functions.taskIdOf(request).call()
    domain = hub_domain(net.w3.eth.chain_id, net.deployment.hub)
    key = net.chain.keys[localnet.FIRST_WORKER + worker].key
    signature = compact_signature(sign_contribution(key, domain, task_id, DIGEST, callback_data_hash(b"")))
    return Finalization(request=request_for_call(request), result_digest=DIGEST, callback_data=b"",
                        signatures=[signature])


def test_finalize_batch_settles_together_and_names_the_skipped(net):
    hub = net.contract("Hub")
    requests = [net.request(net.deployment.app, params=f"p{i}")[1] for i in range(3)]
    _, settled, _ = net.request(net.deployment.app, params="settled")
    transact(net.w3, net.key(localnet.ORACLE), finalize_batch(hub, [_finalization(net, settled)]))
    receipt = transact(net.w3, net.key(localnet.ORACLE),
                       finalize_batch(hub, [_finalization(net, r) for r in requests] + [_finalization(net, settled)]))
    finalized = hub.events.TaskFinalized().process_receipt(receipt)
    assert [e["args"]["taskId"] for e in finalized] == [hub.functions.taskIdOf(r).call() for r in requests]
    task_id = "0x" + hub.functions.taskIdOf(settled).call().hex()
    assert skipped_tasks(hub, receipt) == {task_id: f"TaskNotActive(taskId={task_id}, status=2)"}


def test_failure_and_claim_batches(net):
    hub, rlc = net.contract("Hub"), net.contract("RLC")
    user = net.key(localnet.USER).address
    before = rlc.functions.balanceOf(user).call()
    failed = [net.request(net.deployment.app, params=f"f{i}")[1] for i in range(2)]
    expiring = net.request(net.deployment.app, params="late", duration=60)[1]
    receipt = transact(net.w3, net.key(localnet.ORACLE),
                       report_failure_batch(hub, [(request_for_call(r), "no worker") for r in failed]))
    assert len(hub.events.TaskFailed().process_receipt(receipt)) == 2
    net.w3.provider.make_request("evm_increaseTime", [61])
    net.w3.provider.make_request("evm_mine", [])
    receipt = transact(net.w3, net.key(localnet.DEPLOYER), claim_batch(hub, [request_for_call(expiring)] * 2))
    assert len(hub.events.TaskClaimed().process_receipt(receipt)) == 1
    assert list(skipped_tasks(hub, receipt).values())[0].startswith("TaskNotActive(")
    assert rlc.functions.balanceOf(user).call() == before  # every request refunded in full
