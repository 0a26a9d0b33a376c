import brownie

from helpers import err, field, open_task, price_of


def test_failure_refunds_in_full(hub, rlc, app, pool, user, oracle):
    before = rlc.balanceOf(user)
    request = open_task(hub, rlc, user, app, pool)
    tx = hub.reportFailure(request, "checksum mismatch", {"from": oracle})
    assert list(tx.events["TaskFailed"].values()) == [
        hub.taskIdOf(request), user, price_of(request), "checksum mismatch"
    ]
    assert rlc.balanceOf(user) == before
    assert hub.taskStatus(hub.taskIdOf(request)) == 4
    assert rlc.balanceOf(hub) == 0


def test_failure_refund_goes_to_refund_address(hub, rlc, app, pool, user, oracle, stranger):
    request = open_task(hub, rlc, user, app, pool, refund_to=stranger.address)
    hub.reportFailure(request, "", {"from": oracle})
    assert rlc.balanceOf(stranger) == price_of(request)


def test_failure_by_the_task_oracle_only(hub, rlc, app, pool, user, oracle, stranger):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolOracle", stranger, pool, oracle)):
        hub.reportFailure(request, "", {"from": stranger})


def test_failure_after_deadline(hub, rlc, app, pool, user, oracle, chain):
    request = open_task(hub, rlc, user, app, pool, duration=100)
    chain.sleep(101)
    with brownie.reverts(err("DeadlinePassed", hub.taskIdOf(request), field(request, "deadline"))):
        hub.reportFailure(request, "late", {"from": oracle})


def test_failure_reason_too_long(hub, rlc, app, pool, user, oracle):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("ReasonTooLong", 257, 256)):
        hub.reportFailure(request, "x" * 257, {"from": oracle})


def test_failure_twice(hub, rlc, app, pool, user, oracle):
    request = open_task(hub, rlc, user, app, pool)
    hub.reportFailure(request, "", {"from": oracle})
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 4)):
        hub.reportFailure(request, "", {"from": oracle})


def test_failure_after_finalize(hub, rlc, app, pool, user, oracle, workers):
    from helpers import finalize

    request = open_task(hub, rlc, user, app, pool)
    finalize(hub, oracle, request, workers[:1])
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(request), 2)):
        hub.reportFailure(request, "", {"from": oracle})
