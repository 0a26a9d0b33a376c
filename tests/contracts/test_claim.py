import brownie

from helpers import err, field, finalize, open_task, price_of, with_field


def test_claim_refunds_in_full(hub, rlc, app, dataset, pool, user, chain):
    before = rlc.balanceOf(user)
    request = open_task(hub, rlc, user, app, pool, dataset=dataset, duration=100)
    chain.sleep(101)
    tx = hub.claim(request, {"from": user})
    assert list(tx.events["TaskClaimed"].values()) == [hub.taskIdOf(request), user, price_of(request)]
    assert rlc.balanceOf(user) == before
    assert rlc.balanceOf(hub) == 0


def test_claim_marks_task_claimed(hub, rlc, app, pool, user, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    chain.sleep(101)
    hub.claim(request, {"from": user})
    assert hub.taskStatus(hub.taskIdOf(request)) == 3


def test_anyone_claims_for_the_refund_address(hub, rlc, app, pool, user, stranger, deployer, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100, refund_to=deployer.address)
    before = rlc.balanceOf(deployer)
    chain.sleep(101)
    hub.claim(request, {"from": stranger})
    assert rlc.balanceOf(deployer) == before + price_of(request)
    assert rlc.balanceOf(stranger) == 0


def test_claim_before_deadline(hub, rlc, app, pool, user):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    with brownie.reverts(err("DeadlineNotReached", hub.taskIdOf(request), field(request, "deadline"))):
        hub.claim(request, {"from": user})


def test_claim_twice(hub, rlc, app, pool, user, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    chain.sleep(101)
    hub.claim(request, {"from": user})
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 3)):
        hub.claim(request, {"from": user})


def test_claim_after_finalize(hub, rlc, app, pool, user, oracle, workers, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    finalize(hub, oracle, request, workers[:1])
    chain.sleep(101)
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 2)):
        hub.claim(request, {"from": user})


def test_claim_after_failure(hub, rlc, app, pool, user, oracle, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    hub.reportFailure(request, "app unknown", {"from": oracle})
    chain.sleep(101)
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 4)):
        hub.claim(request, {"from": user})


def test_claim_with_inflated_price(hub, rlc, app, pool, user, chain):
    # another open task's escrow must not pay a forged, more expensive copy of this one
    request = open_task(hub, rlc, user, app, pool, duration=100)
    open_task(hub, rlc, user, app, pool)
    forged = with_field(request, "workerPay", 2 * field(request, "workerPay"))
    chain.sleep(101)
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(forged), 0)):
        hub.claim(forged, {"from": user})


def test_claim_with_other_refund_address(hub, rlc, app, pool, user, stranger, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    forged = with_field(request, "refundTo", stranger.address)
    chain.sleep(101)
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(forged), 0)):
        hub.claim(forged, {"from": stranger})
