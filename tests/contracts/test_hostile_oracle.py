"""A hostile pool owner and its oracle: they choose which signatures and dissents reach the
Hub, and can change the pool's terms at any time. None of it takes an honest worker's stake,
lowers what a requester asked for, or changes the terms of a task already requested."""

import brownie
from brownie import chain
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MIN_STAKE, OWNER_FEE_BPS, POOL_PRICE, pool_config
from helpers import (DIGEST, OTHER_DIGEST, dissents, err, field, finalize, open_task, signatures, skipped)

FEE = POOL_PRICE * OWNER_FEE_BPS // 10_000
LEFT_POOL, STAKE_TOO_LOW, SCORE_TOO_LOW = 3, 4, 5


def _stakes(hub, workers):
    return [hub.s_workers(w)[1] for w in workers]


def _scores(hub, workers):
    return [hub.s_workers(w)[3] for w in workers]


def test_minority_result_with_the_majority_as_dissents_slashes_nobody(hub, rlc, app, pool, user, oracle, workers):
    honest, colluder = workers[:2], workers[2]
    request = open_task(hub, rlc, user, app, pool, trust=1)
    tx = finalize(hub, oracle, request, [colluder], digest=OTHER_DIGEST,
                  dissents=dissents(hub, honest, hub.taskIdOf(request), digest=DIGEST))
    assert "WorkerSlashed" not in tx.events
    assert _stakes(hub, workers[:3]) == [MIN_STAKE] * 3
    # one signer against two is no majority: the honest keep their reputation too
    assert "WorkerOutvoted" not in tx.events
    assert hub.balanceOf(colluder) == POOL_PRICE - FEE  # paid for its replica, nothing more


@settings(max_examples=20, derandomize=True, deadline=None)
@given(
    votes=st.lists(st.booleans(), min_size=4, max_size=4),  # which of two results each worker signed
    finalized=st.booleans(),  # which result the oracle finalizes
    picks=st.lists(st.integers(min_value=0, max_value=3), max_size=6),  # signatures passed, any order
    dissent_picks=st.lists(st.integers(min_value=0, max_value=3), max_size=6),
)
def test_no_arrangement_of_honest_signatures_takes_a_stake(hub, rlc, app, pool, user, oracle, workers, votes,
                                                            finalized, picks, dissent_picks):
    chain.snapshot()
    try:
        honest = workers[:4]
        request = open_task(hub, rlc, user, app, pool, trust=1)
        task_id = hub.taskIdOf(request)
        result = {True: DIGEST, False: OTHER_DIGEST}
        signed = {w: signatures(hub, [w], task_id, result[v])[0] for w, v in zip(honest, votes)}
        chosen = result[finalized]
        sigs = [signed[honest[i]] for i in picks]  # any subset, duplicates and order of them
        proofs = [(result[votes[i]], *dissents(hub, [honest[i]], task_id, digest=result[votes[i]])[0][1:])
                  for i in dissent_picks]
        try:
            tx = hub.finalize(request, chosen, b"", sigs, proofs, {"from": oracle})
            assert "WorkerSlashed" not in tx.events
        except brownie.exceptions.VirtualMachineError:
            pass  # refused: nothing changed
        assert _stakes(hub, honest) == [MIN_STAKE] * 4
    finally:
        chain.revert()


def test_sybils_without_the_stake_the_requester_asked_cannot_finalize(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2, min_stake=2 * MIN_STAKE)
    with brownie.reverts(err("NotEnoughContributions", 0, 2)):
        finalize(hub, oracle, request, workers[:2])
    for worker in workers[:2]:  # two of them stake what the requester asked
        rlc.approve(hub, MIN_STAKE, {"from": worker})
        hub.joinPool(pool, MIN_STAKE, {"from": worker})
    tx = finalize(hub, oracle, request, workers[:3])
    assert tx.events["TaskFinalized"]["workers"] == 2
    assert skipped(tx) == [(workers[2], STAKE_TOO_LOW)]


def test_fresh_sybils_cannot_meet_the_reputation_the_requester_asked(hub, rlc, app, pool, user, oracle, workers):
    for _ in range(3):  # two workers build a record of three agreeing contributions
        finalize(hub, oracle, open_task(hub, rlc, user, app, pool, trust=2), workers[:2])
    request = open_task(hub, rlc, user, app, pool, trust=2, min_score=3)
    with brownie.reverts(err("NotEnoughContributions", 0, 2)):
        finalize(hub, oracle, request, workers[2:4])  # fresh keys: score 0
    tx = finalize(hub, oracle, request, workers[:4])
    assert tx.events["TaskFinalized"]["workers"] == 2
    assert skipped(tx) == [(workers[2], SCORE_TOO_LOW), (workers[3], SCORE_TOO_LOW)]


def test_pool_minimum_stake_lowered_after_the_request_does_not_apply(hub, rlc, app, pool, user, oracle, workers,
                                                                     pool_owner, outsider):
    request = open_task(hub, rlc, user, app, pool)
    hub.updatePool(pool, pool_config(pool_owner, oracle, min_stake=0), {"from": pool_owner})
    hub.joinPool(pool, 0, {"from": outsider})  # a sybil with nothing at stake
    with brownie.reverts(err("NotEnoughContributions", 0, 1)):
        finalize(hub, oracle, request, [outsider])
    assert field(request, "minStake") == MIN_STAKE


def test_fee_raised_after_the_request_does_not_cut_the_workers(hub, rlc, app, pool, user, oracle, workers,
                                                               pool_owner):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    hub.updatePool(pool, pool_config(pool_owner, oracle, fee_bps=10_000), {"from": pool_owner})
    finalize(hub, oracle, request, workers[:2])
    assert [hub.balanceOf(w) for w in workers[:2]] == [POOL_PRICE - FEE] * 2
    assert hub.balanceOf(pool_owner) == 2 * FEE


def test_pool_transferred_after_the_request_pays_the_owner_it_was_requested_from(hub, rlc, app, pool, user, oracle,
                                                                                 workers, pool_owner, stranger):
    request = open_task(hub, rlc, user, app, pool)
    hub.updatePool(pool, pool_config(stranger, oracle), {"from": pool_owner})
    finalize(hub, oracle, request, workers[:1])
    assert hub.balanceOf(pool_owner) == FEE
    assert hub.balanceOf(stranger) == 0


def test_oracle_key_replaced_after_the_request_cannot_take_the_task(hub, rlc, app, pool, user, oracle, workers,
                                                                    pool_owner, stranger):
    request = open_task(hub, rlc, user, app, pool)
    hub.updatePool(pool, pool_config(pool_owner, stranger), {"from": pool_owner})
    with brownie.reverts(err("NotPoolOracle", stranger, pool, oracle)):
        finalize(hub, stranger, request, workers[:1])
    finalize(hub, oracle, request, workers[:1])  # the key the request named still serves it
    later = open_task(hub, rlc, user, app, pool)
    assert field(later, "oracle") == stranger


def test_oracle_of_one_pool_cannot_refund_another_pools_task(hub, rlc, app, pool, user, oracle, pool_owner, stranger):
    other = hub.registerPool(pool_config(pool_owner, stranger), {"from": pool_owner}).return_value
    request = open_task(hub, rlc, user, app, other)
    with brownie.reverts(err("NotPoolOracle", oracle, other, stranger)):
        hub.reportFailure(request, "not mine", {"from": oracle})


def test_dissent_of_a_worker_that_left_cannot_block_the_finalize(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    proofs = dissents(hub, workers[3:4], hub.taskIdOf(request))
    hub.leavePool({"from": workers[3]})  # as if front-running the finalize
    tx = finalize(hub, oracle, request, workers[:2], dissents=proofs)
    assert tx.events["TaskFinalized"]["workers"] == 2
    assert skipped(tx) == [(workers[3], LEFT_POOL)]
    assert "WorkerSlashed" not in tx.events  # it signed a task requested while it was a member


def test_majority_outvoting_a_worker_costs_it_reputation_not_stake(hub, rlc, app, pool, user, oracle, workers):
    for _ in range(2):
        finalize(hub, oracle, open_task(hub, rlc, user, app, pool, trust=4), workers[:4])
    request = open_task(hub, rlc, user, app, pool, trust=3)
    tx = finalize(hub, oracle, request, workers[:3], dissents=dissents(hub, workers[3:4], hub.taskIdOf(request)))
    assert list(tx.events["WorkerOutvoted"].values()) == [workers[3], hub.taskIdOf(request), 0]
    assert hub.s_workers(workers[3])[1] == MIN_STAKE
    assert _scores(hub, workers[:4]) == [3, 3, 3, 0]
