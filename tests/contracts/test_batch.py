"""Many tasks settled in one transaction: a task that cannot be settled is skipped with the
error a single call would revert with, nothing of it changes, and every other task settles once."""

import brownie
import pytest
from eth_abi import encode
from eth_utils import keccak

from conftest import APP_PRICE, MIN_STAKE, OWNER_FEE_BPS, POOL_PRICE, pool_config
from helpers import DIGEST, OTHER_DIGEST, dissents, field, open_task, signatures

FEE = POOL_PRICE * OWNER_FEE_BPS // 10_000
VALUE = (7).to_bytes(32, "big")


def _error(signature: str, types: list, values: list) -> str:
    """A custom error as TaskSkipped carries it: its selector and ABI-encoded arguments."""
    values = [bytes.fromhex(v[2:]) if isinstance(v, str) and len(v) == 66 else v for v in values]
    return "0x" + (keccak(text=signature)[:4] + encode(types, values)).hex()


def _id(hub, request) -> str:
    return str(hub.taskIdOf(request))


def _item(hub, request, signers, digest=DIGEST, data=b"", proofs=()):
    """One Finalization: what finalize takes for this task."""
    return (request, digest, data, signatures(hub, signers, hub.taskIdOf(request), digest, data), list(proofs))


def _finalized(tx):
    return [str(e["taskId"]) for e in tx.events["TaskFinalized"]] if "TaskFinalized" in tx.events else []


def _skipped(tx):
    """{task id: encoded error} of the tasks a batch skipped."""
    if "TaskSkipped" not in tx.events:
        return {}
    return {str(e["taskId"]): str(e["reason"]) for e in tx.events["TaskSkipped"]}


@pytest.fixture
def tasks(hub, rlc, app, pool, user):
    """Three open tasks of the pool, at trust 1."""
    return [open_task(hub, rlc, user, app, pool, params=bytes([i])) for i in range(3)]


def test_batch_settles_every_task_once(hub, rlc, app, pool, user, oracle, workers, tasks, app_owner, pool_owner):
    tx = hub.finalizeBatch([_item(hub, r, workers[:1]) for r in tasks], {"from": oracle})
    assert tx.return_value == 3
    assert _finalized(tx) == [_id(hub, r) for r in tasks]
    assert all(hub.taskStatus(_id(hub, r)) == 2 for r in tasks)
    assert hub.balanceOf(app_owner) == 3 * APP_PRICE
    assert hub.balanceOf(pool_owner) == 3 * FEE
    assert hub.balanceOf(workers[0]) == 3 * (POOL_PRICE - FEE)
    assert hub.s_workers(workers[0])[3] == 3


def test_task_given_twice_or_already_settled_is_skipped(hub, oracle, workers, tasks):
    hub.finalize(*_item(hub, tasks[0], workers[:1]), {"from": oracle})
    batch = [_item(hub, tasks[0], workers[:1]), _item(hub, tasks[1], workers[:1]), _item(hub, tasks[1], workers[1:2])]
    tx = hub.finalizeBatch(batch, {"from": oracle})
    assert tx.return_value == 1
    assert _finalized(tx) == [_id(hub, tasks[1])]
    [first, second] = tx.events["TaskSkipped"]
    assert first["reason"] == _error("TaskNotActive(bytes32,uint8)", ["bytes32", "uint8"], [_id(hub, tasks[0]), 2])
    assert second["reason"] == _error("TaskNotActive(bytes32,uint8)", ["bytes32", "uint8"], [_id(hub, tasks[1]), 2])
    assert hub.balanceOf(workers[1]) == 0  # the second attempt at tasks[1] paid nobody


def test_task_with_a_bad_signature_is_skipped_and_unchanged(hub, oracle, workers, tasks):
    bad = list(_item(hub, tasks[1], workers[:1]))
    bad[3] = [(b"\x00" * 32, b"\x00" * 32)]
    tx = hub.finalizeBatch([_item(hub, tasks[0], workers[:1]), tuple(bad), _item(hub, tasks[2], workers[:1])],
                           {"from": oracle})
    assert _finalized(tx) == [_id(hub, tasks[0]), _id(hub, tasks[2])]
    assert _skipped(tx) == {_id(hub, tasks[1]): _error("NotEnoughContributions(uint256,uint8)",
                                                           ["uint256", "uint8"], [0, 1])}
    assert hub.taskStatus(_id(hub, tasks[1])) == 1


def test_equivocation_in_a_skipped_task_changes_nothing(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    item = _item(hub, request, workers[:2], proofs=dissents(hub, workers[1:2], _id(hub, request), OTHER_DIGEST))
    tx = hub.finalizeBatch([item], {"from": oracle})
    assert tx.return_value == 0 and "WorkerSlashed" not in tx.events
    assert hub.s_workers(workers[1])[1] == MIN_STAKE
    hub.slashEquivocation(request, item[4][0], dissents(hub, workers[1:2], _id(hub, request), DIGEST)[0],
                          {"from": user})  # the proof still stands on its own
    assert hub.s_workers(workers[1])[1] == 0


def test_failing_and_gas_burning_callbacks_still_settle_their_tasks(RevertingReceiver, GasBurner, hub, rlc, app, pool,
                                                                    user, oracle, workers, deployer, value_store):
    receivers = [RevertingReceiver.deploy({"from": deployer}), GasBurner.deploy({"from": deployer}), value_store]
    requests = [open_task(hub, rlc, user, app, pool, callback=r.address, callback_gas=200_000) for r in receivers]
    tx = hub.finalizeBatch([_item(hub, r, workers[:1], data=VALUE) for r in requests], {"from": oracle})
    assert tx.return_value == 3
    assert [e["callbackSucceeded"] for e in tx.events["TaskFinalized"]] == [False, False, True]
    assert 200_000 <= tx.events["TaskFinalized"][1]["callbackGasUsed"] < 210_000
    assert value_store.s_value() == "0x" + VALUE.hex()


def test_task_past_its_deadline_is_skipped(hub, rlc, app, pool, user, oracle, workers, chain):
    late = open_task(hub, rlc, user, app, pool, duration=60)
    chain.sleep(61)
    on_time = open_task(hub, rlc, user, app, pool)
    tx = hub.finalizeBatch([_item(hub, late, workers[:1]), _item(hub, on_time, workers[:1])], {"from": oracle})
    assert _finalized(tx) == [_id(hub, on_time)]
    assert _skipped(tx) == {_id(hub, late): _error("DeadlinePassed(bytes32,uint64)", ["bytes32", "uint64"],
                                                       [_id(hub, late), field(late, "deadline")])}


def test_reentrant_callback_cannot_settle_anything_again(ReentrantReceiver, hub, rlc, app, pool, user, oracle, workers,
                                                         deployer):
    reentrant = ReentrantReceiver.deploy(hub, {"from": deployer})
    request = open_task(hub, rlc, user, app, pool, callback=reentrant.address, callback_gas=500_000)
    other = open_task(hub, rlc, user, app, pool)
    batch = [_item(hub, request, workers[:1], data=VALUE), _item(hub, other, workers[:1])]
    reentrant.setReentry(hub.finalizeBatch.encode_input(batch), {"from": user})
    tx = hub.finalizeBatch(batch, {"from": oracle})
    assert reentrant.s_revertData() == "0x" + keccak(b"ReentrancyGuardReentrantCall()")[:4].hex()
    assert sorted(_finalized(tx)) == sorted([_id(hub, request), _id(hub, other)])
    assert hub.balanceOf(workers[0]) == 2 * (POOL_PRICE - FEE)


def test_task_of_another_oracle_is_skipped(hub, rlc, app, pool, user, oracle, workers, pool_owner, stranger):
    other_pool = hub.registerPool(pool_config(pool_owner, stranger), {"from": pool_owner}).return_value
    foreign = open_task(hub, rlc, user, app, other_pool)
    mine = open_task(hub, rlc, user, app, pool)
    tx = hub.finalizeBatch([_item(hub, foreign, workers[:1]), _item(hub, mine, workers[:1])], {"from": oracle})
    assert _finalized(tx) == [_id(hub, mine)]
    assert _skipped(tx) == {_id(hub, foreign): _error("NotPoolOracle(address,uint64,address)",
                                                          ["address", "uint64", "address"],
                                                          [oracle.address, other_pool, stranger.address])}


def test_callback_that_cannot_get_its_gas_is_skipped_not_starved(hub, rlc, app, pool, user, oracle, workers,
                                                                 value_store):
    small = open_task(hub, rlc, user, app, pool, callback=value_store.address, callback_gas=50_000)
    big = open_task(hub, rlc, user, app, pool, callback=value_store.address, callback_gas=1_500_000)
    tx = hub.finalizeBatch([_item(hub, small, workers[:1], data=VALUE), _item(hub, big, workers[:1], data=VALUE)],
                           {"from": oracle, "gas_limit": 700_000})
    assert _finalized(tx) == [_id(hub, small)]
    assert list(_skipped(tx)) == [_id(hub, big)]
    assert _skipped(tx)[_id(hub, big)][:10] == "0x" + keccak(text="InsufficientGasForCallback(uint256,uint256)")[:4].hex()
    assert hub.taskStatus(_id(hub, big)) == 1  # still open, for a later batch with more gas


def test_batch_keeps_escrow_whole(hub, rlc, app, pool, user, oracle, workers, tasks, app_owner, pool_owner):
    from helpers import owed

    hub.finalizeBatch([_item(hub, r, workers[:2]) for r in tasks[:2]], {"from": oracle})
    assert rlc.balanceOf(hub) == owed(hub, [*workers, user, app_owner, pool_owner], [tasks[2]])


def test_claim_batch_refunds_the_expired_and_skips_the_rest(hub, rlc, app, pool, user, chain):
    expired = [open_task(hub, rlc, user, app, pool, duration=60, params=bytes([i])) for i in range(2)]
    chain.sleep(61)
    fresh = open_task(hub, rlc, user, app, pool)
    before = rlc.balanceOf(user)
    tx = hub.claimBatch([*expired, fresh, expired[0]], {"from": user})
    assert tx.return_value == 2
    assert [e["taskId"] for e in tx.events["TaskClaimed"]] == [_id(hub, r) for r in expired]
    assert rlc.balanceOf(user) == before + 2 * (APP_PRICE + POOL_PRICE)
    assert _skipped(tx) == {
        _id(hub, fresh): _error("DeadlineNotReached(bytes32,uint64)", ["bytes32", "uint64"],
                                    [_id(hub, fresh), field(fresh, "deadline")]),
        _id(hub, expired[0]): _error("TaskNotActive(bytes32,uint8)", ["bytes32", "uint8"],
                                         [_id(hub, expired[0]), 3]),
    }


def test_failure_batch_refunds_and_skips_what_it_cannot_report(hub, rlc, app, pool, user, oracle, pool_owner,
                                                               stranger):
    other_pool = hub.registerPool(pool_config(pool_owner, stranger), {"from": pool_owner}).return_value
    mine, long_reason, foreign = (open_task(hub, rlc, user, app, pool), open_task(hub, rlc, user, app, pool, params=b"2"),
                                  open_task(hub, rlc, user, app, other_pool))
    tx = hub.reportFailureBatch([(mine, "no worker"), (long_reason, "x" * 257), (foreign, "not mine")],
                                {"from": oracle})
    assert tx.return_value == 1
    assert [e["taskId"] for e in tx.events["TaskFailed"]] == [_id(hub, mine)]
    skipped = _skipped(tx)
    assert skipped[_id(hub, long_reason)] == _error("ReasonTooLong(uint256,uint256)", ["uint256", "uint256"],
                                                        [257, 256])
    assert skipped[_id(hub, foreign)][:10] == "0x" + keccak(text="NotPoolOracle(address,uint64,address)")[:4].hex()
    assert hub.taskStatus(_id(hub, foreign)) == 1


def test_empty_batches_do_nothing(hub, oracle, user):
    assert hub.finalizeBatch([], {"from": oracle}).return_value == 0
    assert hub.claimBatch([], {"from": user}).return_value == 0
