"""A pool worker's signature over another result for the same task proves it wrong."""

import brownie

from conftest import MIN_STAKE, OWNER_FEE_BPS, POOL_PRICE
from helpers import DIGEST, dissent, err, finalize, open_task

FEE = POOL_PRICE * OWNER_FEE_BPS // 10_000


def test_dissenter_loses_its_stake(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    proof = dissent(hub, workers[2], hub.taskIdOf(request))
    tx = finalize(hub, oracle, request, workers[:2], dissents=[proof])
    assert list(tx.events["WorkerSlashed"].values()) == [workers[2], hub.taskIdOf(request), MIN_STAKE]
    assert tuple(hub.s_workers(workers[2])) == (0, 0, 0)


def test_slashed_stake_goes_to_agreeing_workers(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    proof = dissent(hub, workers[2], hub.taskIdOf(request))
    tx = finalize(hub, oracle, request, workers[:2], dissents=[proof])
    share = (POOL_PRICE - FEE + MIN_STAKE) // 2
    assert tx.events["TaskFinalized"]["workerReward"] == share
    assert [hub.s_balances(w) for w in workers[:3]] == [share, share, 0]
    assert rlc.balanceOf(hub) == hub.totalOwed()


def test_slashed_worker_cannot_withdraw_stake(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1], dissents=[dissent(hub, workers[2], hub.taskIdOf(request))])
    with brownie.reverts(err("NotInPool", workers[2])):
        hub.withdrawStake({"from": workers[2]})


def test_slashed_worker_no_longer_signs(hub, rlc, app, pool, user, oracle, workers):
    first = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, first, workers[:1], dissents=[dissent(hub, workers[2], hub.taskIdOf(first))])
    second = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolWorker", workers[2], pool)):
        finalize(hub, oracle, second, workers[2:3])


def test_other_callback_data_is_dissent(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    proof = dissent(hub, workers[2], hub.taskIdOf(request), digest=DIGEST, callback_data=b"other")
    tx = finalize(hub, oracle, request, workers[:1], dissents=[proof])
    assert tx.events["WorkerSlashed"]["worker"] == workers[2]


def test_dissent_agreeing_with_result_refused(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    proof = dissent(hub, workers[2], hub.taskIdOf(request), digest=DIGEST)
    with brownie.reverts(err("DissentAgreesWithResult", workers[2])):
        finalize(hub, oracle, request, workers[:1], dissents=[proof])


def test_dissent_of_non_pool_worker_refused(hub, rlc, app, pool, user, oracle, workers, outsider):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolWorker", outsider, pool)):
        finalize(hub, oracle, request, workers[:1], dissents=[dissent(hub, outsider, hub.taskIdOf(request))])


def test_dissent_for_another_task_slashes_nobody(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    other = open_task(hub, rlc, user, app, pool)
    proof = dissent(hub, workers[2], hub.taskIdOf(other))  # recovers to a stranger here
    with brownie.reverts(revert_pattern=r"NotPoolWorker: 0x[0-9a-f]{40}, 1"):
        finalize(hub, oracle, request, workers[:1], dissents=[proof])
    assert hub.s_workers(workers[2])[1] == MIN_STAKE


def test_same_dissent_twice_refused(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    proof = dissent(hub, workers[2], hub.taskIdOf(request))
    with brownie.reverts(err("NotPoolWorker", workers[2], pool)):
        finalize(hub, oracle, request, workers[:1], dissents=[proof, proof])


def test_malformed_dissent_refused(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    bad = (DIGEST[::-1], b"\x00" * 32, (b"\x00" * 32, b"\x00" * 32))
    with brownie.reverts(err("InvalidSignature", 0)):
        finalize(hub, oracle, request, workers[:1], dissents=[bad])


def test_leaving_worker_is_still_slashable(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    hub.leavePool({"from": workers[2]})
    tx = finalize(hub, oracle, request, workers[:1], dissents=[dissent(hub, workers[2], hub.taskIdOf(request))])
    assert tx.events["WorkerSlashed"]["amount"] == MIN_STAKE


def test_worker_signing_two_results_is_slashed_and_not_paid(hub, rlc, app, pool, user, oracle, workers, pool_owner):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    proof = dissent(hub, workers[1], hub.taskIdOf(request))
    owner_before = hub.s_balances(pool_owner)
    tx = finalize(hub, oracle, request, workers[:2], dissents=[proof])
    share = (POOL_PRICE - FEE + MIN_STAKE) // 2
    assert tx.events["WorkerSlashed"]["worker"] == workers[1]
    assert [hub.s_balances(w) for w in workers[:2]] == [share, 0]
    assert hub.s_balances(pool_owner) - owner_before == POOL_PRICE + MIN_STAKE - share
    assert rlc.balanceOf(hub) == hub.totalOwed()
