import brownie

from conftest import APP_PRICE, DATASET_PRICE, MIN_STAKE, OWNER_FEE_BPS, POOL_PRICE, RLC_UNIT, pool_config
from helpers import DIGEST, err, field, finalize, open_task, owed, price_of, signatures, with_field

FEE = POOL_PRICE * OWNER_FEE_BPS // 10_000


def test_finalize_marks_task_finalized(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    assert hub.taskStatus(hub.taskIdOf(request)) == 2


def test_finalize_event(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    tx = finalize(hub, oracle, request, workers[:2])
    event = tx.events["TaskFinalized"]
    assert event["taskId"] == hub.taskIdOf(request)
    assert event["resultDigest"] == "0x" + DIGEST.hex()
    assert event["workers"] == 2
    assert (event["workerReward"], event["poolOwnerReward"]) == (POOL_PRICE - FEE, 2 * FEE)
    assert (event["callbackSucceeded"], event["callbackGasUsed"]) == (True, 0)  # no callback


def test_payment_split(hub, rlc, app, dataset, pool, user, oracle, workers, app_owner, dataset_owner, pool_owner):
    request = open_task(hub, rlc, user, app, pool, dataset=dataset, trust=3)
    finalize(hub, oracle, request, workers[:3])
    assert hub.balanceOf(app_owner) == APP_PRICE
    assert hub.balanceOf(dataset_owner) == DATASET_PRICE
    assert hub.balanceOf(pool_owner) == 3 * FEE
    assert [hub.balanceOf(w) for w in workers[:3]] == [POOL_PRICE - FEE] * 3
    assert hub.balanceOf(workers[3]) == 0


def test_worker_earnings_stay_in_its_record(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    assert hub.s_balances(workers[0]) == 0
    assert tuple(hub.s_workers(workers[0])) == (pool, MIN_STAKE, POOL_PRICE - FEE, 1, 0)


def test_division_remainder_goes_to_pool_owner(hub, rlc, app, pool, user, oracle, workers, pool_owner):
    hub.updatePool(pool, pool_config(pool_owner, oracle, price=10 * RLC_UNIT + 1), {"from": pool_owner})
    request = open_task(hub, rlc, user, app, pool, trust=3)
    pay = field(request, "workerPay")
    tx = finalize(hub, oracle, request, workers[:3])
    assert tx.events["TaskFinalized"]["workerReward"] == pay // 3
    assert hub.balanceOf(pool_owner) == field(request, "poolFee") + pay % 3


def test_earnings_are_withdrawable(hub, rlc, app, pool, user, oracle, workers, app_owner):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    hub.withdraw(APP_PRICE, {"from": app_owner})
    before = rlc.balanceOf(workers[0])
    hub.withdraw(POOL_PRICE - FEE, {"from": workers[0]})
    assert rlc.balanceOf(app_owner) == APP_PRICE
    assert rlc.balanceOf(workers[0]) == before + POOL_PRICE - FEE
    assert hub.s_workers(workers[0])[2] == 0


def test_extra_signatures_are_paid_too(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=1)
    tx = finalize(hub, oracle, request, workers[:4])
    assert tx.events["TaskFinalized"]["workers"] == 4
    assert hub.balanceOf(workers[3]) == tx.events["TaskFinalized"]["workerReward"] == (POOL_PRICE - FEE) // 4


def test_finalize_keeps_escrow_whole(hub, rlc, app, dataset, pool, user, oracle, workers, app_owner, dataset_owner,
                                     pool_owner):
    request = open_task(hub, rlc, user, app, pool, dataset=dataset, trust=5)
    finalize(hub, oracle, request, workers[:5])
    parties = [*workers, app_owner, dataset_owner, pool_owner]
    assert sum(hub.balanceOf(a) for a in parties) == price_of(request)
    assert rlc.balanceOf(hub) == owed(hub, parties) == price_of(request) + 6 * MIN_STAKE


def test_only_the_task_oracle(hub, rlc, app, pool, user, oracle, stranger, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolOracle", stranger, pool, oracle)):
        finalize(hub, stranger, request, workers[:1])


def test_pool_owner_is_not_the_oracle(hub, rlc, app, pool, user, oracle, pool_owner, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolOracle", pool_owner, pool, oracle)):
        finalize(hub, pool_owner, request, workers[:1])


def test_finalize_after_deadline(hub, rlc, app, pool, user, oracle, workers, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    chain.sleep(101)
    with brownie.reverts(err("DeadlinePassed", hub.taskIdOf(request), field(request, "deadline"))):
        finalize(hub, oracle, request, workers[:1])


def test_callback_data_too_long(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("CallbackDataTooLong", 1025, 1024)):
        finalize(hub, oracle, request, workers[:1], callback_data=b"x" * 1025)


def test_not_enough_contributions(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=3)
    with brownie.reverts(err("NotEnoughContributions", 2, 3)):
        finalize(hub, oracle, request, workers[:2])


def test_too_many_signatures_refused(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    sig = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    with brownie.reverts(err("TooManyContributions", 65, 64)):
        hub.finalize(request, DIGEST, b"", [sig] * 65, [], {"from": oracle})


def test_finalize_twice(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 2)):
        finalize(hub, oracle, request, workers[1:2])


def test_finalize_unknown_task(hub, rlc, app, pool, user, oracle, workers):
    request = with_field(open_task(hub, rlc, user, app, pool), "workerPay", 1)  # the oracle cannot alter a term
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 0)):
        finalize(hub, oracle, request, workers[:1])


def test_finalize_after_claim(hub, rlc, app, pool, user, oracle, workers, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    chain.sleep(101)
    hub.claim(request, {"from": user})
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 3)):
        finalize(hub, oracle, request, workers[:1])


def test_finalize_after_failure(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    hub.reportFailure(request, "no worker", {"from": oracle})
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 4)):
        finalize(hub, oracle, request, workers[:1])


def test_signatures_of_trust_workers_only_needed(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    sigs = signatures(hub, workers[:2], hub.taskIdOf(request))
    hub.finalize(request, DIGEST, b"", sigs, [], {"from": oracle})
    assert hub.taskStatus(hub.taskIdOf(request)) == 2


def test_reputation_rises_with_each_counted_contribution(hub, rlc, app, pool, user, oracle, workers):
    for _ in range(3):
        finalize(hub, oracle, open_task(hub, rlc, user, app, pool, trust=2), workers[:2])
    assert [hub.s_workers(w)[3] for w in workers[:3]] == [3, 3, 0]
