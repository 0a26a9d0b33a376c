"""Outsiders, app and dataset owners: what they can do to tasks they are not party to."""

import brownie

from conftest import APP_PRICE, OWNER_FEE_BPS, POOL_PRICE, pool_config
from helpers import err, field, finalize, open_task

FEE = POOL_PRICE * OWNER_FEE_BPS // 10_000


def test_squatted_copy_of_an_app_belongs_to_the_squatter(hub, rlc, app, pool, user, stranger, app_owner):
    name, checksum = hub.s_apps(app)[3], hub.s_apps(app)[2]
    copy = hub.registerApp(APP_PRICE, checksum, name, {"from": stranger}).return_value
    request = open_task(hub, rlc, user, copy, pool)
    # the request names the squatter, whom the grid's app of that name does not belong to:
    # the oracle refuses it (tests/oracle/test_app_binding.py) and the requester is refunded
    assert field(request, "appOwner") == stranger
    assert field(open_task(hub, rlc, user, app, pool), "appOwner") == app_owner


def test_withdraw_to_pays_a_contract_that_cannot_withdraw(hub, rlc, app, pool, user, oracle, workers, pool_owner,
                                                          value_store, stranger):
    # a pool owned by a contract with no way to call withdraw
    hub.updatePool(pool, pool_config(value_store, oracle), {"from": pool_owner})
    finalize(hub, oracle, open_task(hub, rlc, user, app, pool), workers[:1])
    assert hub.balanceOf(value_store) == FEE
    hub.withdrawTo(value_store, {"from": stranger})
    assert rlc.balanceOf(value_store) == FEE
    assert hub.balanceOf(value_store) == 0


def test_worker_earnings_can_be_pushed_to_the_worker(hub, rlc, app, pool, user, oracle, workers, stranger):
    finalize(hub, oracle, open_task(hub, rlc, user, app, pool), workers[:1])
    earned = hub.balanceOf(workers[0])
    before = rlc.balanceOf(workers[0])
    hub.withdrawTo(workers[0], {"from": stranger})
    assert rlc.balanceOf(workers[0]) == before + earned
    assert hub.s_workers(workers[0])[2] == 0


def test_outsider_cannot_settle_or_refund_early(hub, rlc, app, pool, user, stranger, workers):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolOracle", stranger, pool, field(request, "oracle"))):
        finalize(hub, stranger, request, workers[:1])
    with brownie.reverts(err("NotPoolOracle", stranger, pool, field(request, "oracle"))):
        hub.reportFailure(request, "no", {"from": stranger})
    with brownie.reverts(err("DeadlineNotReached", hub.taskIdOf(request), field(request, "deadline"))):
        hub.claim(request, {"from": stranger})


def test_app_owner_cannot_reprice_an_open_task(hub, rlc, app, pool, user, oracle, workers, app_owner):
    request = open_task(hub, rlc, user, app, pool)
    hub.setAppPrice(app, 100 * APP_PRICE, {"from": app_owner})
    finalize(hub, oracle, request, workers[:1])
    assert hub.balanceOf(app_owner) == APP_PRICE
