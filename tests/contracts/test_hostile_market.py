"""The market against hostile parties, one attack per test: replayed orders, orders past their
volume, cancellation or expiry, restrictions ignored, prices moved under a requester, matches
front-run to move someone else's money, forged and contract signatures."""

import brownie
import pytest
from brownie import chain
from eth_utils import keccak
from brownie.test import given, strategy
from hypothesis import settings

from conftest import APP_PRICE, DATASET_PRICE, POOL_PRICE, RLC_UNIT, pool_config
from helpers import err, field, price_of, request_of
from signed_orders import (raw, use_of, app_order, dataset_order, digest, match_data, pool_order, request_order, sign, signed_match)
from orderbook import orders

APP, DATASET, POOL, REQUEST = 0, 1, 2, 3  # IHubOrders.OrderKind
T_APP, T_DATASET, T_POOL, T_REQUESTER, T_TRUST, T_STAKE, T_SCORE = range(7)  # IHubOrders.Term
DEPOSIT = 1_000 * RLC_UNIT


@pytest.fixture
def funded(hub, rlc, user):
    rlc.approve(hub, DEPOSIT, {"from": user})
    hub.deposit(DEPOSIT, {"from": user})
    return user


@pytest.fixture
def other_pool(hub, stranger):
    hub.registerPool(pool_config(stranger, stranger), {"from": stranger})
    return 2


def match(hub, sender, app_o, pool_o, req, *, app_signer, pool_signer, requester, dataset=None, dataset_signer=None):
    return hub.matchOrders(*signed_match(hub, app_o, pool_o, req, app_signer=app_signer, pool_signer=pool_signer,
                                         requester=requester, dataset=dataset, dataset_signer=dataset_signer),
                           {"from": sender})


# ---------------------------------------------------------------- replay across chains and hubs


def test_order_signed_for_another_chain_is_refused(hub, app, pool, funded, app_owner, pool_owner, stranger):
    app_o, pool_o, req = app_order(app), pool_order(pool), request_order(funded, app)
    args = list(signed_match(hub, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner,
                             requester=funded))
    args[4] = (sign(hub, "app", app_o, app_owner, chain_id=chain.id + 1), b"", args[4][2], args[4][3])
    with brownie.reverts(err("InvalidOrderSignature", APP, raw(hub, "app", app_o))):
        hub.matchOrders(*args, {"from": stranger})


def test_orders_signed_for_another_hub_are_refused(Hub, hub, rlc, app, pool, funded, app_owner, pool_owner, oracle,
                                                   deployer, stranger):
    twin = Hub.deploy(rlc, {"from": deployer})  # the same ids for the same parties
    twin.registerApp(APP_PRICE, b"\x11" * 32, "vanity", {"from": app_owner})
    twin.registerPool(pool_config(pool_owner, oracle), {"from": pool_owner})
    app_o, pool_o, req = app_order(app), pool_order(pool), request_order(funded, app)
    signed_for_twin = signed_match(twin, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner,
                                   requester=funded)
    with brownie.reverts(err("InvalidOrderSignature", APP, raw(hub, "app", app_o))):
        hub.matchOrders(*signed_for_twin, {"from": stranger})
    # and orders matched here cannot be replayed on the twin
    match(hub, stranger, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=funded)
    signed_here = signed_match(hub, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner,
                               requester=funded)
    with brownie.reverts(err("InvalidOrderSignature", APP, raw(twin, "app", app_o))):
        twin.matchOrders(*signed_here, {"from": stranger})


def test_worker_contribution_signature_is_no_order_signature(hub, app, pool, funded, app_owner, pool_owner, stranger,
                                                             workers):
    from offchain_grid.contribution import hub_domain, sign_contribution
    app_o = app_order(app)
    args = list(signed_match(hub, app_o, pool_order(pool), request_order(funded, app), app_signer=app_owner,
                             pool_signer=pool_owner, requester=funded))
    struct = orders.struct_hash("app", app_o)  # the same 32 bytes, signed as a Contribution's task id
    contribution = sign_contribution(workers[0].private_key, hub_domain(chain.id, hub.address), struct, b"\0" * 32,
                                     b"\0" * 32)
    args[4] = (contribution, b"", args[4][2], args[4][3])
    with brownie.reverts(err("InvalidOrderSignature", APP, raw(hub, "app", app_o))):
        hub.matchOrders(*args, {"from": stranger})


# ---------------------------------------------------------------- volume, cancellation, expiry


@pytest.mark.parametrize("kind", ["app", "pool", "request", "dataset"])
def test_no_order_matches_beyond_its_volume(hub, app, dataset, pool, funded, app_owner, dataset_owner, pool_owner,
                                           stranger, kind):
    volumes = {k: (1 if k == kind else 5) for k in ("app", "dataset", "pool", "request")}
    app_o, pool_o = app_order(app, volume=volumes["app"]), pool_order(pool, volume=volumes["pool"])
    data_o = dataset_order(dataset, volume=volumes["dataset"])
    req = request_order(funded, app, dataset=dataset, volume=volumes["request"])
    args = signed_match(hub, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=funded,
                        dataset=data_o, dataset_signer=dataset_owner)
    hub.matchOrders(*args, {"from": stranger})
    spent = {"app": app_o, "dataset": data_o, "pool": pool_o, "request": req}[kind]
    code = {"app": APP, "dataset": DATASET, "pool": POOL, "request": REQUEST}[kind]
    with brownie.reverts(err("OrderConsumed", code, raw(hub, kind, spent), 1)):
        hub.matchOrders(*args, {"from": stranger})


def test_zero_volume_order_never_matches(hub, app, pool, funded, app_owner, pool_owner, stranger):
    app_o = app_order(app, volume=0)
    with brownie.reverts(err("OrderConsumed", APP, raw(hub, "app", app_o), 0)):
        match(hub, stranger, app_o, pool_order(pool), request_order(funded, app), app_signer=app_owner,
              pool_signer=pool_owner, requester=funded)


@pytest.mark.parametrize("kind", ["app", "pool", "request"])
def test_cancelled_order_never_matches_again(hub, app, pool, funded, app_owner, pool_owner, stranger, kind):
    app_o, pool_o, req = app_order(app), pool_order(pool), request_order(funded, app, volume=5)
    args = signed_match(hub, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=funded)
    hub.matchOrders(*args, {"from": stranger})
    order, signer = {"app": (app_o, app_owner), "pool": (pool_o, pool_owner), "request": (req, funded)}[kind]
    hub.cancelOrders([digest(hub, kind, order)], {"from": signer})
    code = {"app": APP, "pool": POOL, "request": REQUEST}[kind]
    with brownie.reverts(err("OrderWasCancelled", code, raw(hub, kind, order))):
        hub.matchOrders(*args, {"from": stranger})
    hub.cancelOrders([digest(hub, kind, order)], {"from": signer})  # cancelling again changes nothing
    assert use_of(hub, signer, digest(hub, kind, order)) == (1, True)


def test_cancelled_dataset_order_never_matches(hub, app, dataset, pool, funded, app_owner, dataset_owner, pool_owner,
                                               stranger):
    data_o = dataset_order(dataset)
    hub.cancelOrders([digest(hub, "dataset", data_o)], {"from": dataset_owner})
    with brownie.reverts(err("OrderWasCancelled", DATASET, raw(hub, "dataset", data_o))):
        match(hub, stranger, app_order(app), pool_order(pool), request_order(funded, app, dataset=dataset),
              app_signer=app_owner, pool_signer=pool_owner, requester=funded, dataset=data_o,
              dataset_signer=dataset_owner)


def test_cancellation_by_anyone_but_the_signer_changes_nothing(hub, app, pool, funded, app_owner, pool_owner,
                                                              oracle, stranger):
    app_o, pool_o, req = app_order(app), pool_order(pool), request_order(funded, app)
    hashes = [digest(hub, "app", app_o), digest(hub, "pool", pool_o), digest(hub, "request", req)]
    for someone in (stranger, pool_owner, oracle):  # the pool's owner cannot cancel the app owner's order
        hub.cancelOrders(hashes[:1] + hashes[2:], {"from": someone})
    hub.cancelOrders(hashes[1:2], {"from": oracle})  # nor its oracle an order its owner signed
    tx = match(hub, stranger, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=funded)
    assert "OrdersMatched" in tx.events


def test_cancellation_by_the_signer_cannot_be_undone(hub, app, pool, funded, app_owner, pool_owner, stranger):
    app_o = app_order(app, volume=10)
    hub.cancelOrders([digest(hub, "app", app_o)], {"from": app_owner})
    chain.sleep(10)
    for _ in range(2):
        with brownie.reverts(err("OrderWasCancelled", APP, raw(hub, "app", app_o))):
            match(hub, stranger, app_o, pool_order(pool), request_order(funded, app), app_signer=app_owner,
                  pool_signer=pool_owner, requester=funded)
    # the same terms under a new salt are a new order
    renewed = dict(app_o, salt=b"\x01" * 32)
    match(hub, stranger, renewed, pool_order(pool), request_order(funded, app), app_signer=app_owner,
          pool_signer=pool_owner, requester=funded)


@pytest.mark.parametrize("kind", ["app", "pool", "request", "dataset"])
def test_expired_order_refused(hub, app, dataset, pool, funded, app_owner, dataset_owner, pool_owner, stranger, kind):
    expiry = chain.time() + 100
    made = {k: {"expiry": expiry if k == kind else chain.time() + 10_000} for k in ("app", "dataset", "pool", "request")}
    app_o, pool_o = app_order(app, **made["app"]), pool_order(pool, **made["pool"])
    data_o, req = dataset_order(dataset, **made["dataset"]), request_order(funded, app, dataset=dataset,
                                                                          volume=2, **made["request"])
    args = signed_match(hub, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=funded,
                        dataset=data_o, dataset_signer=dataset_owner)
    chain.sleep(200)
    chain.mine()
    expired = {"app": app_o, "dataset": data_o, "pool": pool_o, "request": req}[kind]
    code = {"app": APP, "dataset": DATASET, "pool": POOL, "request": REQUEST}[kind]
    with brownie.reverts(err("OrderExpired", code, raw(hub, kind, expired), expiry)):
        hub.matchOrders(*args, {"from": stranger})


# ---------------------------------------------------------------- restrictions


def test_app_order_restricted_to_another_pool(hub, app, pool, other_pool, funded, app_owner, pool_owner, stranger):
    with brownie.reverts(err("OrdersDoNotMatch", APP, T_POOL, pool, other_pool)):
        match(hub, stranger, app_order(app, onlyPool=other_pool), pool_order(pool), request_order(funded, app),
              app_signer=app_owner, pool_signer=pool_owner, requester=funded)


def test_app_order_restricted_to_another_requester(hub, app, pool, funded, app_owner, pool_owner, stranger):
    with brownie.reverts(err("OrdersDoNotMatch", APP, T_REQUESTER, int(funded.address, 16), int(stranger.address, 16))):
        match(hub, stranger, app_order(app, onlyRequester=stranger.address), pool_order(pool),
              request_order(funded, app), app_signer=app_owner, pool_signer=pool_owner, requester=funded)


def test_app_order_restricted_to_another_dataset(hub, app, dataset, pool, funded, app_owner, dataset_owner,
                                                 pool_owner, stranger):
    with brownie.reverts(err("OrdersDoNotMatch", APP, T_DATASET, dataset, 5)):
        match(hub, stranger, app_order(app, onlyDataset=5), pool_order(pool), request_order(funded, app, dataset=dataset),
              app_signer=app_owner, pool_signer=pool_owner, requester=funded, dataset=dataset_order(dataset),
              dataset_signer=dataset_owner)


@pytest.mark.parametrize("restriction, term, value", [("onlyApp", T_APP, 9), ("onlyPool", T_POOL, 9),
                                                      ("onlyRequester", T_REQUESTER, "0x" + "99" * 20)])
def test_dataset_order_restrictions_hold(hub, app, dataset, pool, funded, app_owner, dataset_owner, pool_owner,
                                         stranger, restriction, term, value):
    matched = {T_APP: app, T_POOL: pool, T_REQUESTER: int(funded.address, 16)}[term]
    accepted = int(value, 16) if isinstance(value, str) else value
    with brownie.reverts(err("OrdersDoNotMatch", DATASET, term, matched, accepted)):
        match(hub, stranger, app_order(app), pool_order(pool), request_order(funded, app, dataset=dataset),
              app_signer=app_owner, pool_signer=pool_owner, requester=funded,
              dataset=dataset_order(dataset, **{restriction: value}), dataset_signer=dataset_owner)


@pytest.mark.parametrize("restriction, term, value", [("onlyApp", T_APP, 9), ("onlyDataset", T_DATASET, 9),
                                                      ("onlyRequester", T_REQUESTER, "0x" + "99" * 20)])
def test_pool_order_restrictions_hold(hub, app, pool, funded, app_owner, pool_owner, stranger, restriction, term, value):
    matched = {T_APP: app, T_DATASET: 0, T_REQUESTER: int(funded.address, 16)}[term]
    accepted = int(value, 16) if isinstance(value, str) else value
    with brownie.reverts(err("OrdersDoNotMatch", POOL, term, matched, accepted)):
        match(hub, stranger, app_order(app), pool_order(pool, **{restriction: value}), request_order(funded, app),
              app_signer=app_owner, pool_signer=pool_owner, requester=funded)


def test_request_for_one_pool_cannot_be_matched_with_another(hub, app, pool, other_pool, funded, app_owner, stranger):
    with brownie.reverts(err("OrdersDoNotMatch", REQUEST, T_POOL, other_pool, pool)):
        match(hub, stranger, app_order(app), pool_order(other_pool), request_order(funded, app, pool=pool),
              app_signer=app_owner, pool_signer=stranger, requester=funded)


def test_orders_for_another_app_or_dataset_do_not_match(hub, app, dataset, pool, funded, app_owner, dataset_owner,
                                                        pool_owner, stranger):
    with brownie.reverts(err("OrdersDoNotMatch", APP, T_APP, app, app + 1)):
        match(hub, stranger, app_order(app + 1), pool_order(pool), request_order(funded, app), app_signer=app_owner,
              pool_signer=pool_owner, requester=funded)
    with brownie.reverts(err("OrdersDoNotMatch", DATASET, T_DATASET, dataset, dataset + 1)):
        match(hub, stranger, app_order(app), pool_order(pool), request_order(funded, app, dataset=dataset),
              app_signer=app_owner, pool_signer=pool_owner, requester=funded, dataset=dataset_order(dataset + 1),
              dataset_signer=dataset_owner)


@pytest.mark.parametrize("asked, offered, term", [({"trust": 3}, {"maxTrust": 2}, T_TRUST),
                                                  ({"minStake": 100}, {"workerStake": 99}, T_STAKE),
                                                  ({"minScore": 10}, {"workerScore": 9}, T_SCORE)])
def test_pool_must_offer_what_the_requester_asks(hub, app, pool, funded, app_owner, pool_owner, stranger, asked,
                                                offered, term):
    [(_, wanted)], [(_, has)] = asked.items(), offered.items()
    with brownie.reverts(err("OrdersDoNotMatch", POOL, term, wanted, has)):
        match(hub, stranger, app_order(app), pool_order(pool, **offered), request_order(funded, app, **asked),
              app_signer=app_owner, pool_signer=pool_owner, requester=funded)


# ---------------------------------------------------------------- the requester's maximum


def test_requester_never_pays_more_than_its_maximum_whatever_owners_do(hub, rlc, app, pool, funded, app_owner,
                                                                       pool_owner, oracle, stranger):
    req = request_order(funded, app, trust=2, max_price=APP_PRICE + 2 * POOL_PRICE)
    app_o, pool_o = app_order(app), pool_order(pool)
    # between signing and matching: standing prices raised, the whole pool price made the owner's fee
    hub.setAppPrice(app, 100 * APP_PRICE, {"from": app_owner})
    hub.updatePool(pool, pool_config(pool_owner, oracle, price=100 * POOL_PRICE, fee_bps=10_000,
                                     callback_gas_price=10**6), {"from": pool_owner})
    for dearer_app, dearer_pool in ((app_order(app, price=APP_PRICE + 1), pool_o), (app_o, pool_order(pool, price=POOL_PRICE + 1))):
        with brownie.reverts(err("PriceAboveMax", APP_PRICE + 2 * POOL_PRICE + (2 if dearer_pool is not pool_o else 1),
                                 APP_PRICE + 2 * POOL_PRICE)):
            match(hub, stranger, dearer_app, dearer_pool, req, app_signer=app_owner, pool_signer=pool_owner,
                  requester=funded)
    tx = match(hub, stranger, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=funded)
    assert price_of(request_of(tx)) == APP_PRICE + 2 * POOL_PRICE
    assert hub.s_balances(funded) == DEPOSIT - (APP_PRICE + 2 * POOL_PRICE)


def test_pool_transferred_after_signing_voids_the_old_owners_orders(hub, app, pool, funded, app_owner, pool_owner,
                                                                    oracle, stranger):
    pool_o = pool_order(pool)
    args = signed_match(hub, app_order(app), pool_o, request_order(funded, app), app_signer=app_owner,
                        pool_signer=pool_owner, requester=funded)
    hub.updatePool(pool, pool_config(stranger, oracle), {"from": pool_owner})
    with brownie.reverts(err("InvalidOrderSignature", POOL, raw(hub, "pool", pool_o))):
        hub.matchOrders(*args, {"from": stranger})
    assert hub.s_balances(funded) == DEPOSIT


def test_rotated_oracle_key_voids_its_orders(hub, app, pool, funded, app_owner, pool_owner, oracle, stranger):
    pool_o = pool_order(pool)
    args = signed_match(hub, app_order(app), pool_o, request_order(funded, app), app_signer=app_owner,
                        pool_signer=oracle, requester=funded)
    hub.updatePool(pool, pool_config(pool_owner, stranger), {"from": pool_owner})
    with brownie.reverts(err("InvalidOrderSignature", POOL, raw(hub, "pool", pool_o))):
        hub.matchOrders(*args, {"from": stranger})


@settings(max_examples=25)
@given(app_price=strategy("uint24"), pool_price=strategy("uint24"), callback_gas_price=strategy("uint8"),
       trust=strategy("uint8", min_value=1, max_value=5), slack=strategy("int32", min_value=-1000, max_value=1000))
def test_price_charged_is_the_orders_and_never_above_the_maximum(hub, rlc, app, pool, user, app_owner, pool_owner,
                                                                 stranger, value_store, app_price, pool_price,
                                                                 callback_gas_price, trust, slack):
    cost = app_price + pool_price * trust + 50_000 * callback_gas_price
    rlc.approve(hub, cost + 1, {"from": user})
    hub.deposit(cost + 1, {"from": user})
    req = request_order(user, app, trust=trust, max_price=max(0, cost + slack), callback=value_store.address,
                        callbackGasLimit=50_000)
    app_o = app_order(app, price=app_price)
    pool_o = pool_order(pool, price=pool_price, callbackGasPrice=callback_gas_price)
    before = hub.s_balances(user)
    if cost > req["maxPrice"]:
        with brownie.reverts(err("PriceAboveMax", cost, req["maxPrice"])):
            match(hub, stranger, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=user)
        assert hub.s_balances(user) == before
    else:
        tx = match(hub, stranger, app_o, pool_o, req, app_signer=app_owner, pool_signer=pool_owner, requester=user)
        assert price_of(request_of(tx)) == cost == before - hub.s_balances(user)


# ---------------------------------------------------------------- nobody pays who did not sign


def test_third_party_match_cannot_spend_the_requesters_allowance(hub, rlc, app, pool, user, app_owner, pool_owner,
                                                                 stranger):
    rlc.approve(hub, 10 * APP_PRICE, {"from": user})  # e.g. for a deposit it has not made yet
    before = rlc.balanceOf(user)
    with brownie.reverts(err("InsufficientBalance", user, 0, APP_PRICE + POOL_PRICE)):
        match(hub, stranger, app_order(app), pool_order(pool), request_order(user, app), app_signer=app_owner,
              pool_signer=pool_owner, requester=user)
    assert rlc.balanceOf(user) == before and rlc.allowance(user, hub) == 10 * APP_PRICE


def test_forged_request_order_cannot_charge_a_depositor(hub, app, pool, funded, app_owner, pool_owner, stranger):
    req = request_order(funded, app)
    with brownie.reverts(err("InvalidOrderSignature", REQUEST, raw(hub, "request", req))):
        match(hub, stranger, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner,
              requester=stranger)  # signed by the attacker, in the depositor's name
    assert hub.s_balances(funded) == DEPOSIT


def test_approve_and_call_cannot_pay_for_another_requesters_order(hub, rlc, app, pool, funded, user, app_owner,
                                                                   pool_owner, stranger, deployer):
    rlc.transfer(stranger, 100 * RLC_UNIT, {"from": deployer})
    args = signed_match(hub, app_order(app), pool_order(pool), request_order(funded, app), app_signer=app_owner,
                        pool_signer=pool_owner, requester=funded)
    with brownie.reverts(err("PayerNotRequester", stranger, funded)):
        rlc.approveAndCall(hub, 100 * RLC_UNIT, match_data(hub, args), {"from": stranger})


def test_match_moves_money_only_from_the_requester(hub, rlc, app, pool, funded, app_owner, pool_owner, oracle,
                                                   stranger):
    watched = [app_owner, pool_owner, oracle, stranger]
    before = {a: (rlc.balanceOf(a), hub.balanceOf(a)) for a in watched}
    held = rlc.balanceOf(hub)
    tx = match(hub, stranger, app_order(app), pool_order(pool), request_order(funded, app), app_signer=app_owner,
               pool_signer=pool_owner, requester=funded)
    assert {a: (rlc.balanceOf(a), hub.balanceOf(a)) for a in watched} == before
    # the price moved from the requester's balance to the open task, within the Hub
    assert hub.s_balances(funded) == DEPOSIT - price_of(request_of(tx))
    assert rlc.balanceOf(hub) == held


def test_front_runner_cannot_redirect_a_request_to_its_own_pool(hub, app, pool, other_pool, funded, app_owner,
                                                                pool_owner, stranger):
    req = request_order(funded, app, pool=pool)  # the requester chose its pool
    honest = signed_match(hub, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner,
                          requester=funded)
    with brownie.reverts(err("OrdersDoNotMatch", REQUEST, T_POOL, other_pool, pool)):  # the copy, with its own pool
        match(hub, stranger, app_order(app), pool_order(other_pool), req, app_signer=app_owner, pool_signer=stranger,
              requester=funded)
    tx = hub.matchOrders(*honest, {"from": pool_owner})
    assert field(request_of(tx), "pool") == pool


def test_front_running_the_same_match_opens_only_what_the_requester_signed(hub, app, pool, funded, app_owner,
                                                                           pool_owner, oracle, stranger):
    args = signed_match(hub, app_order(app), pool_order(pool), request_order(funded, app, volume=1),
                        app_signer=app_owner, pool_signer=pool_owner, requester=funded)
    first = hub.matchOrders(*args, {"from": stranger})  # the copy lands first
    with brownie.reverts():
        hub.matchOrders(*args, {"from": oracle})  # the original: the request order is spent
    assert field(request_of(first), "requester") == funded
    assert hub.s_balances(funded) == DEPOSIT - price_of(request_of(first))


def test_order_signed_by_a_stranger_is_refused(hub, app, pool, funded, app_owner, pool_owner, stranger):
    app_o, pool_o = app_order(app), pool_order(pool)
    with brownie.reverts(err("InvalidOrderSignature", APP, raw(hub, "app", app_o))):
        match(hub, stranger, app_o, pool_o, request_order(funded, app), app_signer=pool_owner, pool_signer=pool_owner,
              requester=funded)
    with brownie.reverts(err("InvalidOrderSignature", POOL, raw(hub, "pool", pool_o))):
        match(hub, stranger, app_o, pool_o, request_order(funded, app), app_signer=app_owner, pool_signer=app_owner,
              requester=funded)


def test_high_s_twin_of_a_signature_is_refused(hub, app, pool, funded, app_owner, pool_owner, stranger):
    app_o = app_order(app)
    args = list(signed_match(hub, app_o, pool_order(pool), request_order(funded, app), app_signer=app_owner,
                             pool_signer=pool_owner, requester=funded))
    good = bytes(args[4][0])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    twin = good[:32] + (n - int.from_bytes(good[32:64], "big")).to_bytes(32, "big") + bytes([55 - good[64]])
    args[4] = (twin, b"", args[4][2], args[4][3])
    with brownie.reverts(err("InvalidOrderSignature", APP, raw(hub, "app", app_o))):
        hub.matchOrders(*args, {"from": stranger})


# ---------------------------------------------------------------- contract signers (ERC-1271)


@pytest.fixture
def wallet(ContractWallet, hub, rlc, user, deployer):
    """A contract requester holding an escrow deposit, whose owner key signs for it."""
    wallet = ContractWallet.deploy(user, {"from": deployer})
    rlc.transfer(wallet, DEPOSIT, {"from": deployer})
    wallet.execute(rlc, rlc.approve.encode_input(hub, DEPOSIT), {"from": user})
    wallet.execute(hub, hub.deposit.encode_input(DEPOSIT), {"from": user})
    return wallet


def test_contract_requester_signs_through_erc1271(hub, app, pool, wallet, user, app_owner, pool_owner, stranger):
    req = request_order(wallet, app)
    tx = match(hub, stranger, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner,
               requester=user)  # the wallet's owner key signs; the wallet vouches for it
    assert field(request_of(tx), "requester") == wallet
    assert hub.s_balances(wallet) == DEPOSIT - price_of(request_of(tx))


def test_contract_that_withdraws_its_consent_cannot_be_charged(hub, app, pool, wallet, user, app_owner, pool_owner,
                                                               stranger):
    req = request_order(wallet, app)
    wallet.setAccepting(False, {"from": user})
    with brownie.reverts(err("InvalidOrderSignature", REQUEST, raw(hub, "request", req))):
        match(hub, stranger, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner,
              requester=user)
    assert hub.s_balances(wallet) == DEPOSIT


def test_contract_cancels_its_order(hub, app, pool, wallet, user, app_owner, pool_owner, stranger):
    req = request_order(wallet, app)
    wallet.execute(hub, hub.cancelOrders.encode_input([digest(hub, "request", req)]), {"from": user})
    with brownie.reverts(err("OrderWasCancelled", REQUEST, raw(hub, "request", req))):
        match(hub, stranger, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner,
              requester=user)


def test_contract_app_owner_signs_through_erc1271(ContractWallet, hub, pool, funded, user, pool_owner, stranger,
                                                  deployer):
    owner = ContractWallet.deploy(stranger, {"from": deployer})
    owner.execute(hub, hub.registerApp.encode_input(APP_PRICE, b"\x33" * 32, "other"), {"from": stranger})
    app = hub.s_appCount()
    tx = match(hub, user, app_order(app), pool_order(pool), request_order(funded, app), app_signer=stranger,
               pool_signer=pool_owner, requester=funded)
    assert field(request_of(tx), "appOwner") == owner


def test_signer_contract_cannot_change_state_while_vouching(ReentrantSigner, hub, rlc, app, pool, funded, app_owner,
                                                            pool_owner, stranger, deployer):
    # the pool's oracle is a contract that vouches for a signature only if it can change state meanwhile
    signer = ReentrantSigner.deploy(hub, hub.cancelOrders.encode_input(["0x" + "ab" * 32]), {"from": deployer})
    hub.updatePool(pool, pool_config(pool_owner, signer), {"from": pool_owner})
    pool_o = pool_order(pool)
    with brownie.reverts(err("InvalidOrderSignature", POOL, raw(hub, "pool", pool_o))):
        match(hub, stranger, app_order(app), pool_o, request_order(funded, app), app_signer=app_owner,
              pool_signer=stranger, requester=funded)


def test_callback_cannot_reenter_a_match(ReentrantReceiver, hub, rlc, app, pool, user, app_owner, pool_owner, oracle,
                                         workers, deployer):
    from helpers import finalize
    receiver = ReentrantReceiver.deploy(hub, {"from": deployer})
    req = request_order(user, app, callback=receiver.address, callbackGasLimit=300_000)
    rlc.approve(hub, 10**12, {"from": user})
    tx = match(hub, user, app_order(app), pool_order(pool), req, app_signer=app_owner, pool_signer=pool_owner,
               requester=None)
    second = request_order(receiver, app)
    receiver.setReentry(hub.matchOrders.encode_input(*signed_match(
        hub, app_order(app), pool_order(pool), second, app_signer=app_owner, pool_signer=pool_owner)))
    finalize(hub, oracle, request_of(tx), workers[:1])
    assert receiver.s_reentered() is False
    assert receiver.s_revertData() == "0x" + keccak(b"ReentrancyGuardReentrantCall()")[:4].hex()
