"""A hostile worker: it signs what it likes, leaves when it likes. Its signature counts only
while it is an active member with the stake and reputation asked for; signing two results for
one task, or for a task requested after it left, costs its whole stake."""

import brownie

from conftest import MAX_DURATION, MIN_STAKE
from helpers import DIGEST, OTHER_DIGEST, dissent, err, finalize, open_task, signatures, skipped

LEFT_POOL, NOT_ASCENDING = 3, 1


def test_worker_that_left_does_not_count(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    hub.leavePool({"from": workers[0]})
    with brownie.reverts(err("NotEnoughContributions", 0, 1)):
        finalize(hub, oracle, request, workers[:1])


def test_signer_leaving_before_the_finalize_cannot_make_it_revert(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    hub.leavePool({"from": workers[1]})  # as if front-running the finalize
    tx = finalize(hub, oracle, request, workers[:3])
    assert tx.events["TaskFinalized"]["workers"] == 2
    assert skipped(tx) == [(workers[1], LEFT_POOL)]


def test_worker_cannot_withdraw_before_its_signatures_can_no_longer_be_proven(hub, workers, chain):
    unlock_at = hub.leavePool({"from": workers[0]}).events["WorkerLeaving"]["unlockAt"]
    chain.sleep(MAX_DURATION - 60)
    with brownie.reverts(err("StakeLocked", workers[0], unlock_at)):
        hub.withdrawStake({"from": workers[0]})


def test_worker_signing_a_wrong_result_after_leaving_loses_its_stake(hub, rlc, app, pool, user, oracle, workers,
                                                                     chain):
    hub.leavePool({"from": workers[0]})
    chain.sleep(1)
    request = open_task(hub, rlc, user, app, pool)
    wrong = dissent(hub, workers[0], hub.taskIdOf(request), digest=OTHER_DIGEST)
    tx = finalize(hub, oracle, request, workers[1:2], dissents=[wrong])
    assert tx.events["WorkerSlashed"]["worker"] == workers[0]
    assert hub.s_workers(workers[0])[1] == 0
    with brownie.reverts(err("NotInPool", workers[0])):
        chain.sleep(MAX_DURATION + 1)
        hub.withdrawStake({"from": workers[0]})


def test_worker_signing_both_results_loses_its_stake_and_its_pay(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    both = dissent(hub, workers[0], hub.taskIdOf(request), digest=OTHER_DIGEST)
    tx = finalize(hub, oracle, request, workers[:2], dissents=[both])
    assert tx.events["WorkerSlashed"]["worker"] == workers[0]
    assert hub.balanceOf(workers[0]) == 0
    assert hub.balanceOf(workers[1]) == tx.events["TaskFinalized"]["workerReward"] > 0


def test_worker_signing_twice_gains_one_point_of_reputation(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    sig = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    tx = hub.finalize(request, DIGEST, b"", [sig, sig, sig], [], {"from": oracle})
    assert skipped(tx) == [(workers[0], NOT_ASCENDING)] * 2
    assert hub.s_workers(workers[0])[3] == 1


def test_worker_of_no_pool_cannot_join_with_a_stake_below_the_minimum(hub, rlc, pool, deployer, stranger):
    rlc.transfer(stranger, MIN_STAKE, {"from": deployer})
    rlc.approve(hub, MIN_STAKE, {"from": stranger})
    with brownie.reverts(err("InsufficientStake", stranger, 1, MIN_STAKE)):
        hub.joinPool(pool, 1, {"from": stranger})
