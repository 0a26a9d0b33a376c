"""A stake is lost only on the worker's own signatures: two results for one task, or a
signature for a task of its pool requested after it had left. The stake goes to the task's
refund address; the worker's earnings stay its own."""

import brownie

from conftest import MIN_STAKE, OWNER_FEE_BPS, POOL_PRICE, pool_config
from helpers import DIGEST, OTHER_DIGEST, dissent, err, field, finalize, open_task, with_field

FEE = POOL_PRICE * OWNER_FEE_BPS // 10_000
EQUIVOCATION, SIGNED_AFTER_LEAVING = 0, 1


def _contribution(hub, worker, request, digest):
    return dissent(hub, worker, hub.taskIdOf(request), digest=digest)


def test_equivocating_signer_is_slashed_in_finalize(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    tx = finalize(hub, oracle, request, workers[:3], dissents=[_contribution(hub, workers[1], request, OTHER_DIGEST)])
    assert list(tx.events["WorkerSlashed"].values()) == [workers[1], hub.taskIdOf(request), MIN_STAKE,
                                                          EQUIVOCATION, user]
    assert tx.events["TaskFinalized"]["workers"] == 2  # its own signature no longer counts
    assert tuple(hub.s_workers(workers[1])) == (0, 0, 0, 0, 0)
    assert hub.balanceOf(user) == MIN_STAKE  # the refund address gets the stake
    share = 2 * (POOL_PRICE - FEE) // 2  # trust 2 paid for two replicas, shared by the two that count
    assert [hub.balanceOf(w) for w in workers[:3]] == [share, 0, share]


def test_equivocation_dropping_below_trust_refuses_the_finalize(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    with brownie.reverts(err("NotEnoughContributions", 1, 2)):
        finalize(hub, oracle, request, workers[:2], dissents=[_contribution(hub, workers[1], request, OTHER_DIGEST)])
    # the proof still stands on its own
    hub.slashEquivocation(request, _contribution(hub, workers[1], request, DIGEST),
                          _contribution(hub, workers[1], request, OTHER_DIGEST), {"from": oracle})
    assert hub.s_workers(workers[1])[0] == 0


def test_anyone_may_prove_an_equivocation(hub, rlc, app, pool, user, workers, stranger):
    request = open_task(hub, rlc, user, app, pool, refund_to=stranger.address)
    tx = hub.slashEquivocation(request, _contribution(hub, workers[2], request, DIGEST),
                               _contribution(hub, workers[2], request, OTHER_DIGEST), {"from": stranger})
    assert tx.events["WorkerSlashed"]["worker"] == workers[2]
    assert tx.events["WorkerSlashed"]["beneficiary"] == stranger
    assert hub.balanceOf(stranger) == MIN_STAKE


def test_equivocation_proven_after_the_task_settled(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    hub.slashEquivocation(request, _contribution(hub, workers[0], request, DIGEST),
                          _contribution(hub, workers[0], request, OTHER_DIGEST), {"from": user})
    assert hub.s_workers(workers[0])[1] == 0
    assert hub.balanceOf(workers[0]) == POOL_PRICE - FEE  # what it earned is still its own


def test_two_signatures_on_one_result_prove_nothing(hub, rlc, app, pool, user, workers):
    request = open_task(hub, rlc, user, app, pool)
    one = _contribution(hub, workers[0], request, DIGEST)
    with brownie.reverts(err("SameResult", DIGEST, one[1])):
        hub.slashEquivocation(request, one, one, {"from": user})


def test_two_workers_disagreeing_prove_nothing(hub, rlc, app, pool, user, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("DifferentSigners", workers[0], workers[1])):
        hub.slashEquivocation(request, _contribution(hub, workers[0], request, DIGEST),
                              _contribution(hub, workers[1], request, OTHER_DIGEST), {"from": user})


def test_proof_about_a_request_never_made_refused(hub, rlc, app, pool, user, workers):
    request = with_field(open_task(hub, rlc, user, app, pool), "nonce", 7)
    with brownie.reverts(err("UnknownTask", hub.taskIdOf(request))):
        hub.slashEquivocation(request, _contribution(hub, workers[0], request, DIGEST),
                              _contribution(hub, workers[0], request, OTHER_DIGEST), {"from": user})


def test_same_proof_twice_slashes_once(hub, rlc, app, pool, user, workers):
    request = open_task(hub, rlc, user, app, pool)
    proof = (_contribution(hub, workers[0], request, DIGEST), _contribution(hub, workers[0], request, OTHER_DIGEST))
    hub.slashEquivocation(request, *proof, {"from": user})
    with brownie.reverts(err("NotPoolWorker", workers[0], pool)):
        hub.slashEquivocation(request, *proof, {"from": user})
    assert hub.balanceOf(user) == MIN_STAKE


def test_invalid_signature_in_a_proof_refused(hub, rlc, app, pool, user, workers):
    request = open_task(hub, rlc, user, app, pool)
    bad = (OTHER_DIGEST, b"\x00" * 32, (b"\x00" * 32, b"\x00" * 32))
    with brownie.reverts(err("InvalidSignature", 1)):
        hub.slashEquivocation(request, _contribution(hub, workers[0], request, DIGEST), bad, {"from": user})


def test_old_fault_does_not_reach_a_stake_in_another_pool(hub, rlc, app, pool, user, workers, pool_owner, oracle,
                                                          chain):
    from conftest import MAX_DURATION

    request = open_task(hub, rlc, user, app, pool)
    proof = (_contribution(hub, workers[0], request, DIGEST), _contribution(hub, workers[0], request, OTHER_DIGEST))
    hub.leavePool({"from": workers[0]})
    chain.sleep(MAX_DURATION + 1)
    hub.withdrawStake({"from": workers[0]})
    other = hub.registerPool(pool_config(pool_owner, oracle), {"from": pool_owner}).return_value
    rlc.approve(hub, MIN_STAKE, {"from": workers[0]})
    hub.joinPool(other, MIN_STAKE, {"from": workers[0]})
    with brownie.reverts(err("NotPoolWorker", workers[0], pool)):
        hub.slashEquivocation(request, *proof, {"from": user})


def test_signature_after_leaving_is_slashed_on_proof(hub, rlc, app, pool, user, workers, chain, stranger):
    hub.leavePool({"from": workers[0]})
    chain.sleep(1)
    request = open_task(hub, rlc, user, app, pool)
    tx = hub.slashSignedAfterLeaving(request, _contribution(hub, workers[0], request, DIGEST), {"from": stranger})
    assert list(tx.events["WorkerSlashed"].values()) == [workers[0], hub.taskIdOf(request), MIN_STAKE,
                                                          SIGNED_AFTER_LEAVING, user]


def test_signature_for_a_task_requested_before_leaving_is_no_fault(hub, rlc, app, pool, user, workers, chain):
    request = open_task(hub, rlc, user, app, pool)
    chain.sleep(1)
    left_at = hub.leavePool({"from": workers[0]}).timestamp
    with brownie.reverts(err("NotSignedAfterLeaving", workers[0], left_at, field(request, "requestedAt"))):
        hub.slashSignedAfterLeaving(request, _contribution(hub, workers[0], request, DIGEST), {"from": user})


def test_signature_of_an_active_worker_is_no_fault(hub, rlc, app, pool, user, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotSignedAfterLeaving", workers[0], 0, field(request, "requestedAt"))):
        hub.slashSignedAfterLeaving(request, _contribution(hub, workers[0], request, DIGEST), {"from": user})


def test_signature_after_leaving_given_to_finalize_is_slashed(hub, rlc, app, pool, user, oracle, workers, chain):
    hub.leavePool({"from": workers[0]})
    chain.sleep(1)
    request = open_task(hub, rlc, user, app, pool)
    tx = finalize(hub, oracle, request, workers[:2])
    assert tx.events["WorkerSlashed"]["worker"] == workers[0]
    assert tx.events["WorkerSlashed"]["fault"] == SIGNED_AFTER_LEAVING
    assert tx.events["TaskFinalized"]["workers"] == 1


def test_slashed_worker_cannot_withdraw_stake(hub, rlc, app, pool, user, workers):
    request = open_task(hub, rlc, user, app, pool)
    hub.slashEquivocation(request, _contribution(hub, workers[2], request, DIGEST),
                          _contribution(hub, workers[2], request, OTHER_DIGEST), {"from": user})
    with brownie.reverts(err("NotInPool", workers[2])):
        hub.withdrawStake({"from": workers[2]})


def test_slashed_worker_no_longer_counts(hub, rlc, app, pool, user, oracle, workers):
    first = open_task(hub, rlc, user, app, pool)
    hub.slashEquivocation(first, _contribution(hub, workers[2], first, DIGEST),
                          _contribution(hub, workers[2], first, OTHER_DIGEST), {"from": user})
    second = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotEnoughContributions", 0, 1)):
        finalize(hub, oracle, second, workers[2:3])


def test_slashing_keeps_escrow_whole(hub, rlc, app, pool, user, oracle, workers, app_owner, pool_owner):
    from helpers import owed

    request = open_task(hub, rlc, user, app, pool, trust=2)
    finalize(hub, oracle, request, workers[:3], dissents=[_contribution(hub, workers[1], request, OTHER_DIGEST)])
    assert rlc.balanceOf(hub) == owed(hub, [*workers, user, app_owner, pool_owner])
