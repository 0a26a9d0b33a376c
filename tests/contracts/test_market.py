"""Matching signed orders: a task opened on the orders' terms, paid by the requester, on the same
path (and with the same TaskRequested) as requestTask."""

import brownie
import pytest
from eth_utils import keccak

from conftest import APP_PRICE, CALLBACK_GAS_PRICE, DATASET_PRICE, MAX_DURATION, MIN_STAKE, OWNER_FEE_BPS, POOL_PRICE
from helpers import err, field, finalize, price_of, request_of, task_id_of
from signed_orders import (raw, use_of, app_order, as_args, dataset_order, digest, match_data, pool_order, request_order, sign,
                    signed_match)

PRICE = APP_PRICE + POOL_PRICE  # trust 1, no callback


@pytest.fixture
def funded(hub, rlc, user):
    """The user holds an escrow deposit: anyone may match its signed request orders."""
    rlc.approve(hub, 1_000 * 10**9, {"from": user})
    hub.deposit(1_000 * 10**9, {"from": user})
    return user


def test_match_opens_the_task_on_the_orders_terms(hub, rlc, app, pool, funded, app_owner, pool_owner, oracle,
                                                  stranger):
    app_o, pool_o = app_order(app, price=APP_PRICE - 1), pool_order(pool, price=POOL_PRICE - 2)
    req = request_order(funded, app, trust=2, params=b"xyz")
    tx = hub.matchOrders(*signed_match(hub, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner,
                                       requester=funded), {"from": stranger})
    request = request_of(tx)
    fee = 2 * (POOL_PRICE - 2) * OWNER_FEE_BPS // 10_000
    assert (field(request, "requester"), field(request, "refundTo"), field(request, "trust")) == (funded, funded, 2)
    assert (field(request, "appOwner"), field(request, "appPrice")) == (app_owner, APP_PRICE - 1)
    assert (field(request, "poolOwner"), field(request, "oracle"), field(request, "minStake")) == (pool_owner, oracle,
                                                                                                   MIN_STAKE)
    assert (field(request, "workerPay"), field(request, "poolFee")) == (2 * (POOL_PRICE - 2) - fee, fee)
    assert field(request, "deadline") == tx.timestamp + MAX_DURATION
    assert field(request, "paramsHash") == "0x" + keccak(b"xyz").hex()
    assert tx.events["TaskRequested"]["params"] == "0x78797a"
    matched = tx.events["OrdersMatched"]
    assert matched["taskId"] == task_id_of(tx) == tx.return_value
    assert (matched["appOrder"], matched["poolOrder"], matched["requestOrder"]) == (
        digest(hub, "app", app_o), digest(hub, "pool", pool_o), digest(hub, "request", req))
    assert matched["datasetOrder"] == "0x" + "00" * 32
    assert hub.s_balances(funded) == 1_000 * 10**9 - price_of(request)
    assert hub.taskStatus(task_id_of(tx)) == 1


def test_match_with_a_dataset_order_pays_the_dataset_owner_its_order_price(hub, app, dataset, pool, funded, app_owner,
                                                                            dataset_owner, pool_owner, oracle, workers):
    data_o = dataset_order(dataset, price=DATASET_PRICE + 5, onlyApp=app)
    req = request_order(funded, app, dataset=dataset)
    tx = hub.matchOrders(*signed_match(hub, app_order(app), pool_order(pool), req, app_signer=app_owner,
                                       pool_signer=pool_owner, requester=funded, dataset=data_o,
                                       dataset_signer=dataset_owner), {"from": oracle})
    request = request_of(tx)
    assert (field(request, "dataset"), field(request, "datasetOwner"), field(request, "datasetPrice")) == (
        dataset, dataset_owner, DATASET_PRICE + 5)
    assert tx.events["OrdersMatched"]["datasetOrder"] == digest(hub, "dataset", data_o)
    finalize(hub, oracle, request, workers[:1])
    assert hub.balanceOf(dataset_owner) == DATASET_PRICE + 5


def test_matched_task_is_finalized_and_paid_like_any_other(hub, app, pool, funded, app_owner, pool_owner, oracle,
                                                           workers, value_store):
    req = request_order(funded, app, trust=3, callback=value_store.address, callbackGasLimit=60_000)
    tx = hub.matchOrders(*signed_match(hub, app_order(app), pool_order(pool), req, app_signer=app_owner,
                                       pool_signer=pool_owner, requester=funded), {"from": oracle})
    request = request_of(tx)
    assert price_of(request) == APP_PRICE + 3 * POOL_PRICE + 60_000 * CALLBACK_GAS_PRICE
    done = finalize(hub, oracle, request, workers[:3], callback_data=b"\x2a" * 32)
    assert done.events["TaskFinalized"]["callbackSucceeded"] is True
    assert hub.balanceOf(app_owner) == APP_PRICE
    assert hub.taskStatus(task_id_of(tx)) == 2


def test_requester_sending_the_match_needs_no_signature_and_pays_by_allowance(hub, rlc, app, pool, user, app_owner,
                                                                               pool_owner):
    req = request_order(user, app)
    rlc.approve(hub, PRICE, {"from": user})
    before = rlc.balanceOf(user)
    tx = hub.matchOrders(*signed_match(hub, app_order(app), pool_order(pool), req, app_signer=app_owner,
                                       pool_signer=pool_owner), {"from": user})
    assert rlc.balanceOf(user) == before - PRICE
    assert field(request_of(tx), "requester") == user


def test_approve_and_call_pays_and_matches_in_one_transaction(hub, rlc, app, pool, user, app_owner, pool_owner):
    req = request_order(user, app)
    args = signed_match(hub, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner)
    before = rlc.balanceOf(user)
    tx = rlc.approveAndCall(hub, PRICE, match_data(hub, args), {"from": user})
    assert rlc.balanceOf(user) == before - PRICE
    assert field(request_of(tx), "requester") == user
    assert tx.events["OrdersMatched"]["requestOrder"] == digest(hub, "request", req)
    assert rlc.allowance(user, hub) == 0


def test_approve_and_call_pays_by_allowance_even_with_a_deposit(hub, rlc, app, pool, funded, app_owner, pool_owner):
    args = signed_match(hub, app_order(app), pool_order(pool), request_order(funded, app), app_signer=app_owner,
                        pool_signer=pool_owner)
    rlc.approveAndCall(hub, PRICE, match_data(hub, args), {"from": funded})
    assert hub.s_balances(funded) == 1_000 * 10**9


def test_pool_order_signed_by_the_pools_oracle(hub, app, pool, funded, app_owner, oracle, stranger):
    pool_o = pool_order(pool)
    tx = hub.matchOrders(*signed_match(hub, app_order(app), pool_o, request_order(funded, app), app_signer=app_owner,
                                       pool_signer=oracle, requester=funded), {"from": stranger})
    assert use_of(hub, oracle, digest(hub, "pool", pool_o)) == (1, False)
    assert tx.events["OrdersMatched"]["poolOrder"] == digest(hub, "pool", pool_o)


def test_each_match_consumes_one_unit_of_each_order(hub, app, pool, funded, app_owner, pool_owner, stranger):
    app_o, pool_o, req = app_order(app, volume=5), pool_order(pool, volume=5), request_order(funded, app, volume=3)
    args = signed_match(hub, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=funded)
    ids = {str(hub.matchOrders(*args, {"from": stranger}).return_value) for _ in range(2)}
    assert len(ids) == 2  # identical requests in one block or not, two tasks
    assert use_of(hub, app_owner, digest(hub, "app", app_o)) == (2, False)
    assert use_of(hub, pool_owner, digest(hub, "pool", pool_o)) == (2, False)
    assert use_of(hub, funded, digest(hub, "request", req)) == (2, False)


def test_standing_prices_still_open_tasks_without_orders(hub, rlc, app, pool, user):
    from helpers import request_task, spec
    tx = request_task(hub, rlc, user, spec(app, pool))
    assert price_of(request_of(tx)) == PRICE
    assert "OrdersMatched" not in tx.events


def test_cancel_emits_and_is_reported(hub, user):
    order_hash = "0x" + "ab" * 32
    tx = hub.cancelOrders([order_hash], {"from": user})
    assert tx.events["OrderCancelled"]["signer"] == user
    assert tx.events["OrderCancelled"]["orderHash"] == order_hash
    assert use_of(hub, user, order_hash) == (0, True)


def test_market_half_refuses_to_run_outside_the_hub(HubMarket, hub, app, pool, funded, app_owner, pool_owner):
    market = HubMarket.at(hub.i_market())
    args = signed_match(hub, app_order(app), pool_order(pool), request_order(funded, app), app_signer=app_owner,
                        pool_signer=pool_owner, requester=funded)
    with brownie.reverts(err("OnlyThroughHub", hub)):
        market.matchOrders(*args, {"from": funded})
    with brownie.reverts(err("OnlyThroughHub", hub)):
        market.cancelOrders(["0x" + "ab" * 32], {"from": funded})


def test_unknown_app_or_pool_refused(hub, app, pool, funded, app_owner, pool_owner, stranger):
    args = signed_match(hub, app_order(9), pool_order(pool), request_order(funded, 9), app_signer=app_owner,
                        pool_signer=pool_owner, requester=funded)
    with brownie.reverts(err("UnknownApp", 9)):
        hub.matchOrders(*args, {"from": stranger})
    args = signed_match(hub, app_order(app), pool_order(7), request_order(funded, app), app_signer=app_owner,
                        pool_signer=pool_owner, requester=funded)
    with brownie.reverts(err("UnknownPool", 7)):
        hub.matchOrders(*args, {"from": stranger})


def test_hub_limits_hold_for_matched_requests(hub, app, pool, funded, app_owner, pool_owner, stranger):
    req = request_order(funded, app, trust=33)
    args = signed_match(hub, app_order(app), pool_order(pool, maxTrust=40), req, app_signer=app_owner,
                        pool_signer=pool_owner, requester=funded)
    with brownie.reverts(err("InvalidTrust", 33, 32)):
        hub.matchOrders(*args, {"from": stranger})
    req = request_order(funded, app, duration=MAX_DURATION + 1)
    args = signed_match(hub, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner,
                        requester=funded)
    with brownie.reverts(err("DurationTooLong", MAX_DURATION + 1, MAX_DURATION)):
        hub.matchOrders(*args, {"from": stranger})
    req = request_order(funded, app, callback=funded.address, callbackGasLimit=1)
    args = signed_match(hub, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner,
                        requester=funded)
    with brownie.reverts(err("CallbackNotContract", funded)):
        hub.matchOrders(*args, {"from": stranger})


def test_request_order_without_its_signature_is_refused_from_anyone_else(hub, app, pool, funded, app_owner,
                                                                          pool_owner, stranger):
    req = request_order(funded, app)
    args = signed_match(hub, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner)
    with brownie.reverts(err("InvalidOrderSignature", 3, raw(hub, "request", req))):
        hub.matchOrders(*args, {"from": stranger})
