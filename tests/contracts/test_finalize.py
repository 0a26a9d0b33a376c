import brownie

from conftest import APP_PRICE, DATASET_PRICE, OWNER_FEE_BPS, POOL_PRICE, RLC_UNIT
from helpers import DIGEST, err, finalize, open_task, signatures


def test_finalize_marks_task_finalized(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    assert hub.taskStatus(hub.taskIdOf(request)) == 2


def test_finalize_event(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    tx = finalize(hub, oracle, request, workers[:2])
    event = tx.events["TaskFinalized"]
    fee = POOL_PRICE * OWNER_FEE_BPS // 10_000
    assert event["taskId"] == hub.taskIdOf(request)
    assert event["resultDigest"] == "0x" + DIGEST.hex()
    assert list(event["workers"]) == [w.address for w in workers[:2]]
    assert (event["workerReward"], event["poolOwnerReward"]) == ((POOL_PRICE - fee) // 2, fee)
    assert (event["callbackSucceeded"], event["callbackGasUsed"]) == (True, 0)  # no callback


def test_payment_split(hub, rlc, app, dataset, pool, user, oracle, workers, app_owner, dataset_owner, pool_owner):
    request = open_task(hub, rlc, user, app, pool, dataset=dataset, trust=3)
    finalize(hub, oracle, request, workers[:3])
    fee = POOL_PRICE * OWNER_FEE_BPS // 10_000
    assert hub.s_balances(app_owner) == APP_PRICE
    assert hub.s_balances(dataset_owner) == DATASET_PRICE
    assert hub.s_balances(pool_owner) == fee
    assert [hub.s_balances(w) for w in workers[:3]] == [(POOL_PRICE - fee) // 3] * 3
    assert hub.s_balances(workers[3]) == 0


def test_division_remainder_goes_to_pool_owner(hub, rlc, app, pool, user, oracle, workers, pool_owner):
    config = list(hub.s_pools(pool))
    config[1] = 10 * RLC_UNIT + 1  # pool price; fee 1 RLC, pot 9 RLC + 1: one nRLC left over
    hub.updatePool(pool, config, {"from": pool_owner})
    request = open_task(hub, rlc, user, app, pool, trust=3)
    tx = finalize(hub, oracle, request, workers[:3])
    assert tx.events["TaskFinalized"]["workerReward"] == 3 * RLC_UNIT
    assert hub.s_balances(pool_owner) == RLC_UNIT + 1


def test_earnings_are_withdrawable(hub, rlc, app, pool, user, oracle, workers, app_owner):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    hub.withdraw(APP_PRICE, {"from": app_owner})
    assert rlc.balanceOf(app_owner) == APP_PRICE
    assert rlc.balanceOf(hub) == hub.totalOwed()


def test_extra_signatures_are_paid_too(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=1)
    tx = finalize(hub, oracle, request, workers[:4])
    assert len(tx.events["TaskFinalized"]["workers"]) == 4
    assert hub.s_balances(workers[3]) == tx.events["TaskFinalized"]["workerReward"] > 0


def test_finalize_keeps_escrow_whole(hub, rlc, app, dataset, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, dataset=dataset, trust=5)
    finalize(hub, oracle, request, workers[:5])
    assert rlc.balanceOf(hub) == hub.totalOwed()
    paid = sum(hub.s_balances(a) for a in set(workers) | {hub.s_apps(app)[0], hub.s_datasets(dataset)[0],
                                                          hub.s_pools(pool)[0]})
    assert paid == APP_PRICE + DATASET_PRICE + POOL_PRICE
    assert hub.totalOwed() == paid + 6 * hub.s_pools(pool)[4]  # plus the stakes


def test_only_pool_oracle(hub, rlc, app, pool, user, oracle, stranger, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolOracle", stranger, pool, oracle)):
        finalize(hub, stranger, request, workers[:1])


def test_pool_owner_is_not_the_oracle(hub, rlc, app, pool, user, oracle, pool_owner, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolOracle", pool_owner, pool, oracle)):
        finalize(hub, pool_owner, request, workers[:1])


def test_new_oracle_key_takes_over(hub, rlc, app, pool, user, oracle, pool_owner, stranger, workers):
    request = open_task(hub, rlc, user, app, pool)
    config = list(hub.s_pools(pool))
    config[3] = stranger.address
    hub.updatePool(pool, config, {"from": pool_owner})
    with brownie.reverts(err("NotPoolOracle", oracle, pool, stranger)):
        finalize(hub, oracle, request, workers[:1])
    finalize(hub, stranger, request, workers[:1])


def test_finalize_after_deadline(hub, rlc, app, pool, user, oracle, workers, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    chain.sleep(101)
    with brownie.reverts(err("DeadlinePassed", hub.taskIdOf(request), request[11])):
        finalize(hub, oracle, request, workers[:1])


def test_callback_data_too_long(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("CallbackDataTooLong", 1025, 1024)):
        finalize(hub, oracle, request, workers[:1], callback_data=b"x" * 1025)


def test_not_enough_contributions(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=3)
    with brownie.reverts(err("NotEnoughContributions", 2, 3)):
        finalize(hub, oracle, request, workers[:2])


def test_finalize_twice(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 2)):
        finalize(hub, oracle, request, workers[1:2])


def test_finalize_unknown_task(hub, rlc, app, pool, user, oracle, workers):
    request = list(open_task(hub, rlc, user, app, pool))
    request[8] += 1  # the oracle cannot alter the price: it is another (unknown) task
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


def test_leaving_worker_still_signs_until_unlocked(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    hub.leavePool({"from": workers[0]})
    tx = finalize(hub, oracle, request, workers[:1])
    assert list(tx.events["TaskFinalized"]["workers"]) == [workers[0].address]


def test_signatures_of_trust_workers_only_needed(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    sigs = signatures(hub, workers[:2], hub.taskIdOf(request))
    hub.finalize(request, DIGEST, b"", sigs, [], {"from": oracle})
    assert hub.taskStatus(hub.taskIdOf(request)) == 2
