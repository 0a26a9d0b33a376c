"""A requester paying in the Hub's call back (what the Task base does): only tokens that reach
the Hub during that call count, never tokens sent earlier by anyone."""

import brownie
import pytest

from conftest import RLC_UNIT
from helpers import err, request_of, spec


@pytest.fixture
def payer(CallbackPayer, hub, rlc, deployer):
    contract = CallbackPayer.deploy(hub, {"from": deployer})
    rlc.transfer(contract, 100 * RLC_UNIT, {"from": deployer})
    return contract


def test_payment_in_the_callback_opens_the_task(hub, rlc, app, pool, payer, user):
    price = hub.quote(spec(app, pool))
    tx = payer.request(spec(app, pool), {"from": user})
    assert request_of(tx)[0] == payer  # the requester is the contract that paid
    assert rlc.balanceOf(hub) == price


def test_short_payment_refused(hub, app, pool, payer, user):
    price = hub.quote(spec(app, pool))
    payer.setPayBps(9_999, {"from": user})
    with brownie.reverts(err("PaymentMissing", price * 9_999 // 10_000, price)):
        payer.request(spec(app, pool), {"from": user})


def test_tokens_sent_before_the_call_do_not_pay(hub, rlc, app, pool, payer, user, deployer):
    price = hub.quote(spec(app, pool))
    rlc.transfer(hub, 10 * price, {"from": deployer})  # stray tokens, sent without a call
    payer.setPayBps(0, {"from": user})
    with brownie.reverts(err("PaymentMissing", 0, price)):
        payer.request(spec(app, pool), {"from": user})


def test_callback_cannot_reenter_the_hub(hub, app, pool, payer, user):
    from eth_utils import keccak

    payer.setReentry(hub.requestTask.encode_input(spec(app, pool)), {"from": user})
    tx = payer.request(spec(app, pool), {"from": user})
    assert payer.s_revertData() == "0x" + keccak(b"ReentrancyGuardReentrantCall()")[:4].hex()
    assert len(tx.events["TaskRequested"]) == 1


def test_account_without_the_callback_cannot_request_this_way(hub, app, pool, user):
    with brownie.reverts():
        hub.requestTaskPayingInCallback(spec(app, pool), b"", {"from": user})
