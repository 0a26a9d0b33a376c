"""A hostile requester: it pays exactly the price of what it asks for, in its own call, and
cannot be paid for by someone else's tokens; its callback can fail, burn gas or reenter
without blocking anyone's payment (see test_callbacks.py)."""

import brownie

from conftest import APP_PRICE, CALLBACK_GAS_PRICE, POOL_PRICE, RLC_UNIT
from helpers import err, spec


def test_trust_and_callback_gas_are_paid_for(hub, app, pool, user, value_store):
    cheap = spec(app, pool, trust=1, callback=value_store.address, callback_gas=50_000)
    costly = spec(app, pool, trust=32, callback=value_store.address, callback_gas=2_000_000)
    assert hub.quote(cheap) == APP_PRICE + POOL_PRICE + 50_000 * CALLBACK_GAS_PRICE
    assert hub.quote(costly) == APP_PRICE + 32 * POOL_PRICE + 2_000_000 * CALLBACK_GAS_PRICE
    costly_at_cheap_price = costly[:8] + (hub.quote(cheap),) + costly[9:]
    with brownie.reverts(err("PriceAboveMax", hub.quote(costly), hub.quote(cheap))):
        hub.requestTask(costly_at_cheap_price, {"from": user})


def test_tokens_sent_to_the_hub_earlier_pay_for_nobody(hub, rlc, app, pool, user, stranger, deployer):
    rlc.transfer(stranger, 100 * RLC_UNIT, {"from": deployer})
    rlc.transfer(hub, 13 * RLC_UNIT, {"from": stranger})  # sent without a call
    with brownie.reverts(err("ERC20InsufficientAllowance", hub, 0, hub.quote(spec(app, pool)))):
        hub.requestTask(spec(app, pool), {"from": user})
    assert hub.balanceOf(stranger) == hub.balanceOf(user) == 0
    assert rlc.balanceOf(hub) == 13 * RLC_UNIT  # nobody's: no call can spend it


def test_request_cannot_be_paid_from_the_allowance_of_someone_else(hub, rlc, app, pool, user, stranger):
    rlc.approve(hub, 100 * RLC_UNIT, {"from": user})  # the user approved the Hub for its own requests
    with brownie.reverts(err("ERC20InsufficientAllowance", hub, 0, hub.quote(spec(app, pool)))):
        hub.requestTask(spec(app, pool, refund_to=stranger.address), {"from": stranger})


def test_refund_address_cannot_be_changed_after_the_request(hub, rlc, app, pool, user, stranger, chain):
    from helpers import open_task, with_field

    request = open_task(hub, rlc, user, app, pool, duration=100)
    chain.sleep(101)
    forged = with_field(request, "refundTo", stranger.address)
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(forged), 0)):
        hub.claim(forged, {"from": stranger})
