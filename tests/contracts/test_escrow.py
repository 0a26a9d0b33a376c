import brownie

from conftest import RLC_UNIT
from helpers import err, request_task, spec


def test_deposit_credits_balance(hub, rlc, user):
    rlc.approve(hub, 5 * RLC_UNIT, {"from": user})
    tx = hub.deposit(5 * RLC_UNIT, {"from": user})
    assert list(tx.events["Deposited"].values()) == [user, 5 * RLC_UNIT]
    assert hub.s_balances(user) == 5 * RLC_UNIT == hub.balanceOf(user)
    assert rlc.balanceOf(hub) == 5 * RLC_UNIT


def test_deposit_zero_refused(hub, user):
    with brownie.reverts(err("ZeroAmount")):
        hub.deposit(0, {"from": user})


def test_deposit_without_allowance_refused(hub, user):
    with brownie.reverts(err("ERC20InsufficientAllowance", hub, 0, RLC_UNIT)):
        hub.deposit(RLC_UNIT, {"from": user})


def test_withdraw_sends_tokens(hub, rlc, user):
    rlc.approve(hub, 5 * RLC_UNIT, {"from": user})
    hub.deposit(5 * RLC_UNIT, {"from": user})
    before = rlc.balanceOf(user)
    tx = hub.withdraw(2 * RLC_UNIT, {"from": user})
    assert list(tx.events["Withdrawn"].values()) == [user, 2 * RLC_UNIT]
    assert rlc.balanceOf(user) == before + 2 * RLC_UNIT
    assert hub.s_balances(user) == 3 * RLC_UNIT == rlc.balanceOf(hub)


def test_withdraw_more_than_balance(hub, rlc, user):
    rlc.approve(hub, RLC_UNIT, {"from": user})
    hub.deposit(RLC_UNIT, {"from": user})
    with brownie.reverts(err("InsufficientBalance", user, RLC_UNIT, RLC_UNIT + 1)):
        hub.withdraw(RLC_UNIT + 1, {"from": user})


def test_withdraw_zero_refused(hub, user):
    with brownie.reverts(err("ZeroAmount")):
        hub.withdraw(0, {"from": user})


def test_request_paid_from_deposit_first(hub, rlc, app, pool, user):
    rlc.approve(hub, 20 * RLC_UNIT, {"from": user})
    hub.deposit(20 * RLC_UNIT, {"from": user})
    hub.requestTask(spec(app, pool), {"from": user})  # allowance is spent: the balance pays
    assert hub.s_balances(user) == 20 * RLC_UNIT - hub.quote(spec(app, pool))
    assert rlc.balanceOf(hub) == 20 * RLC_UNIT


def test_request_paid_from_allowance_when_deposit_short(hub, rlc, app, pool, user):
    rlc.approve(hub, RLC_UNIT, {"from": user})
    hub.deposit(RLC_UNIT, {"from": user})
    request_task(hub, rlc, user, spec(app, pool))
    assert hub.s_balances(user) == RLC_UNIT  # untouched: it could not cover the price
    assert rlc.balanceOf(hub) == RLC_UNIT + hub.quote(spec(app, pool))


def test_request_without_funds_refused(hub, app, pool, user):
    with brownie.reverts(err("ERC20InsufficientAllowance", hub, 0, hub.quote(spec(app, pool)))):
        hub.requestTask(spec(app, pool), {"from": user})


def test_dapp_payment_passes_through_in_the_same_call(hub, rlc, app, pool, vanity, user):
    from eth_abi import encode

    data = encode(["string", "address", "bytes32"], ["ab", user.address, b"\x00" * 32])
    price = hub.quote(spec(app, pool, callback=vanity.address, callback_gas=200_000))
    rlc.approveAndCall(vanity, price, data, {"from": user})
    assert rlc.balanceOf(hub) == price
    assert rlc.balanceOf(vanity) == 0
    assert rlc.allowance(user, vanity) == 0


def test_withdraw_to_pays_the_account_itself(hub, rlc, user, stranger):
    rlc.approve(hub, 5 * RLC_UNIT, {"from": user})
    hub.deposit(5 * RLC_UNIT, {"from": user})
    before = rlc.balanceOf(user)
    tx = hub.withdrawTo(user, {"from": stranger})
    assert list(tx.events["Withdrawn"].values()) == [user, 5 * RLC_UNIT]
    assert rlc.balanceOf(user) == before + 5 * RLC_UNIT
    assert rlc.balanceOf(stranger) == 0


def test_withdraw_to_with_nothing_owed_refused(hub, stranger, user):
    with brownie.reverts(err("ZeroAmount")):
        hub.withdrawTo(user, {"from": stranger})


def test_hub_needs_a_token(Hub, deployer):
    with brownie.reverts(err("ZeroAddress")):
        Hub.deploy("0x" + "00" * 20, {"from": deployer})


def test_hub_starts_empty(hub, rlc):
    assert rlc.balanceOf(hub) == 0
