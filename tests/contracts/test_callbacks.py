"""The requester's callback runs with the gas it asked for and can never block the payment."""

import brownie
import pytest
from eth_utils import keccak

from conftest import APP_PRICE
from helpers import DIGEST, finalize, open_task, signatures

REENTRANCY_REFUSED = "0x" + keccak(b"ReentrancyGuardReentrantCall()")[:4].hex()
VALUE = b"\x2a".rjust(32, b"\x00")


@pytest.fixture
def reentrant(ReentrantReceiver, hub, deployer):
    return ReentrantReceiver.deploy(hub, {"from": deployer})


def _answered(hub, rlc, user, oracle, workers, app, pool, receiver, gas=100_000, data=VALUE, tx=None):
    request = open_task(hub, rlc, user, app, pool, callback=receiver.address, callback_gas=gas)
    return request, finalize(hub, oracle, request, workers[:1], callback_data=data, tx=tx)


def test_callback_receives_result(hub, rlc, app, pool, user, oracle, workers, value_store):
    request, tx = _answered(hub, rlc, user, oracle, workers, app, pool, value_store)
    assert value_store.s_value() == "0x" + VALUE.hex()
    assert value_store.s_lastTask() == hub.taskIdOf(request)
    assert tx.events["TaskFinalized"]["callbackSucceeded"] is True
    assert 0 < tx.events["TaskFinalized"]["callbackGasUsed"] < 100_000


def test_reverting_callback_still_pays(RevertingReceiver, hub, rlc, app, pool, user, oracle, workers, deployer,
                                       app_owner):
    receiver = RevertingReceiver.deploy({"from": deployer})
    request, tx = _answered(hub, rlc, user, oracle, workers, app, pool, receiver)
    assert tx.events["TaskFinalized"]["callbackSucceeded"] is False
    assert hub.taskStatus(hub.taskIdOf(request)) == 2
    assert hub.balanceOf(app_owner) == APP_PRICE


def test_gas_burning_callback_gets_its_limit_only(GasBurner, hub, rlc, app, pool, user, oracle, workers,
                                                  deployer, app_owner):
    burner = GasBurner.deploy({"from": deployer})
    request, tx = _answered(hub, rlc, user, oracle, workers, app, pool, burner, gas=200_000)
    event = tx.events["TaskFinalized"]
    assert event["callbackSucceeded"] is False
    assert 200_000 <= event["callbackGasUsed"] < 210_000
    assert hub.balanceOf(app_owner) == APP_PRICE
    assert burner.s_counter() == 0  # its writes were undone with its failure


def _hub_cost(tx):
    return tx.gas_used - tx.events["TaskFinalized"]["callbackGasUsed"]


def test_return_bomb_costs_the_hub_nothing(ReturnBomb, hub, rlc, app, pool, user, oracle, workers, deployer,
                                           value_store, app_owner):
    bomb = ReturnBomb.deploy({"from": deployer})
    _answered(hub, rlc, user, oracle, workers, app, pool, value_store)  # recipients' balances exist
    _, plain = _answered(hub, rlc, user, oracle, workers, app, pool, value_store, gas=2_000_000)
    _, bombed = _answered(hub, rlc, user, oracle, workers, app, pool, bomb, gas=2_000_000)
    # the callee pays for its 200 kB reply; the Hub, which never copies it, spends what it
    # spends on any callback
    assert bombed.events["TaskFinalized"]["callbackSucceeded"] is True
    assert bombed.events["TaskFinalized"]["callbackGasUsed"] > 90_000
    assert abs(_hub_cost(bombed) - _hub_cost(plain)) < 5_000
    assert hub.balanceOf(app_owner) == 3 * APP_PRICE


def test_reentrant_finalize_refused(hub, rlc, app, pool, user, oracle, workers, reentrant, app_owner):
    request = open_task(hub, rlc, user, app, pool, callback=reentrant.address, callback_gas=500_000)
    sigs = signatures(hub, workers[1:2], hub.taskIdOf(request), DIGEST, VALUE)
    reentrant.setReentry(hub.finalize.encode_input(request, DIGEST, VALUE, sigs, []), {"from": user})
    tx = finalize(hub, oracle, request, workers[:1], callback_data=VALUE)
    assert reentrant.s_reentered() is False
    assert reentrant.s_revertData() == REENTRANCY_REFUSED
    assert tx.events["TaskFinalized"]["callbackSucceeded"] is True
    assert len(tx.events["TaskFinalized"]) == 1
    assert hub.balanceOf(app_owner) == APP_PRICE  # paid once


def test_reentrant_claim_refused(hub, rlc, app, pool, user, oracle, workers, reentrant):
    request = open_task(hub, rlc, user, app, pool, callback=reentrant.address, callback_gas=500_000)
    reentrant.setReentry(hub.claim.encode_input(request), {"from": user})
    tx = finalize(hub, oracle, request, workers[:1], callback_data=VALUE)
    assert reentrant.s_revertData() == REENTRANCY_REFUSED
    assert "TaskClaimed" not in tx.events
    assert hub.taskStatus(hub.taskIdOf(request)) == 2


def test_reentrant_withdraw_refused(hub, rlc, app, pool, user, oracle, workers, reentrant):
    # the receiver is owed a refund-sized balance, yet cannot pull it from inside the callback
    rlc.approve(hub, 10**9, {"from": user})
    hub.deposit(10**9, {"from": user})
    request = open_task(hub, rlc, user, app, pool, callback=reentrant.address, callback_gas=500_000)
    reentrant.setReentry(hub.withdraw.encode_input(1), {"from": user})
    finalize(hub, oracle, request, workers[:1], callback_data=VALUE)
    assert reentrant.s_revertData() == REENTRANCY_REFUSED
    assert hub.s_balances(user) == 10**9  # still there: the reentrant withdraw did nothing


def test_reentrant_request_refused(hub, rlc, app, pool, user, oracle, workers, reentrant):
    from helpers import spec

    request = open_task(hub, rlc, user, app, pool, callback=reentrant.address, callback_gas=500_000)
    reentrant.setReentry(hub.requestTask.encode_input(spec(app, pool)), {"from": user})
    tx = finalize(hub, oracle, request, workers[:1], callback_data=VALUE)
    assert reentrant.s_revertData() == REENTRANCY_REFUSED
    assert "TaskRequested" not in tx.events


def test_too_little_gas_for_callback(hub, rlc, app, pool, user, oracle, workers, value_store):
    request = open_task(hub, rlc, user, app, pool, callback=value_store.address, callback_gas=1_000_000)
    needed = 1_000_000 + 1_000_000 // 63 + 5_000
    with brownie.reverts(revert_pattern=rf"InsufficientGasForCallback: \d+, {needed}"):
        finalize(hub, oracle, request, workers[:1], callback_data=VALUE, tx={"gas_limit": 400_000})
    assert hub.taskStatus(hub.taskIdOf(request)) == 1


def test_enough_gas_for_callback(hub, rlc, app, pool, user, oracle, workers, value_store):
    request = open_task(hub, rlc, user, app, pool, callback=value_store.address, callback_gas=1_000_000)
    tx = finalize(hub, oracle, request, workers[:1], callback_data=VALUE, tx={"gas_limit": 1_200_000})
    assert tx.events["TaskFinalized"]["callbackSucceeded"] is True


def test_callback_to_account_without_code_refused_at_request(hub, app, pool, user, stranger):
    from helpers import err, spec

    with brownie.reverts(err("CallbackNotContract", stranger)):
        hub.requestTask(spec(app, pool, callback=stranger.address), {"from": user})


def test_callback_gas_is_not_charged_without_a_callback(hub, app, pool):
    from helpers import spec

    assert hub.quote(spec(app, pool, callback_gas=1_000_000)) == hub.quote(spec(app, pool, callback_gas=0))
