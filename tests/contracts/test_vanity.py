"""The example dapp: a user pays in one transaction, the dapp checks the workers' salt on chain."""

import brownie
import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from conftest import APP_PRICE, CALLBACK_GAS_PRICE, POOL_PRICE, RLC_UNIT, pool_config
from helpers import DIGEST, err, field, finalize, request_of

PRICE = APP_PRICE + POOL_PRICE + 200_000 * CALLBACK_GAS_PRICE  # trust 1, a 200,000-gas callback
INIT_CODE_HASH = keccak(b"some init code")


def _create2(deployer, salt, init_code_hash=INIT_CODE_HASH):
    return to_checksum_address(keccak(b"\xff" + bytes.fromhex(deployer[2:]) + salt + init_code_hash)[12:])


def _salt_for(prefix, deployer):
    for n in range(100_000):
        salt = n.to_bytes(32, "big")
        if _create2(deployer, salt)[2:].lower().startswith(prefix.lower()):
            return salt
    raise AssertionError("no salt found")


def _order(prefix, deployer):
    return encode(["string", "address", "bytes32"], [prefix, deployer, INIT_CODE_HASH])


def _answer(salt, prefix, deployer, init_code_hash=INIT_CODE_HASH):
    return encode(["bytes32", "string", "address", "bytes32"], [salt, prefix, deployer, init_code_hash])


@pytest.fixture
def ordered(rlc, vanity, user, deployer):
    """A paid vanity request for prefix "ab": (transaction, TaskRequest)."""
    tx = rlc.approveAndCall(vanity, PRICE, _order("ab", deployer.address), {"from": user})
    return tx, request_of(tx)


def test_one_transaction_pays_and_requests(ordered, hub, rlc, vanity, user, deployer):
    tx, request = ordered
    event = tx.events["VanityRequested"]
    assert (event["user"], event["prefix"], event["deployer"]) == (user, "ab", deployer)
    assert [field(request, f) for f in ("requester", "refundTo", "callback")] == [vanity, user, vanity]
    assert rlc.balanceOf(hub) == PRICE
    assert rlc.balanceOf(vanity) == 0  # the payment only passed through


def test_params_tell_the_workers_what_to_search(ordered, deployer):
    params = bytes(ordered[0].events["TaskRequested"]["params"]).decode()
    assert params == f"ab {deployer.address.lower()} 0x{INIT_CODE_HASH.hex()}"


def test_valid_salt_is_stored(ordered, hub, vanity, oracle, workers, deployer):
    _, request = ordered
    salt = _salt_for("ab", deployer.address)
    tx = finalize(hub, oracle, request, workers[:1], DIGEST, _answer(salt, "ab", deployer.address))
    found = _create2(deployer.address, salt)
    assert vanity.s_found(hub.taskIdOf(request)) == found
    assert list(tx.events["VanityFound"].values()) == [hub.taskIdOf(request), found, "0x" + salt.hex()]


def test_uppercase_prefix_matches(hub, rlc, vanity, user, oracle, workers, deployer):
    request = request_of(rlc.approveAndCall(vanity, PRICE, _order("AB", deployer.address), {"from": user}))
    salt = _salt_for("ab", deployer.address)
    finalize(hub, oracle, request, workers[:1], DIGEST, _answer(salt, "AB", deployer.address))
    assert vanity.s_found(hub.taskIdOf(request)) == _create2(deployer.address, salt)


def test_wrong_salt_rejected_but_paid(ordered, hub, vanity, oracle, workers, deployer, app_owner):
    _, request = ordered
    salt = next(n.to_bytes(32, "big") for n in range(100)
                if not _create2(deployer.address, n.to_bytes(32, "big"))[2:].lower().startswith("ab"))
    tx = finalize(hub, oracle, request, workers[:1], DIGEST, _answer(salt, "ab", deployer.address))
    assert tx.events["VanityRejected"]["derived"] == _create2(deployer.address, salt)
    assert vanity.s_found(hub.taskIdOf(request)) == brownie.ZERO_ADDRESS
    assert tx.events["TaskFinalized"]["callbackSucceeded"] is True
    assert hub.balanceOf(app_owner) == APP_PRICE


def test_answer_to_another_order_rejected(ordered, hub, vanity, oracle, workers, stranger):
    # a valid salt, but for a deployer this user did not ask about
    _, request = ordered
    salt = _salt_for("ab", stranger.address)
    tx = finalize(hub, oracle, request, workers[:1], DIGEST, _answer(salt, "ab", stranger.address))
    assert "VanityRejected" in tx.events
    assert vanity.s_found(hub.taskIdOf(request)) == brownie.ZERO_ADDRESS


def test_garbled_answer_is_recorded_as_failed_callback(ordered, hub, vanity, oracle, workers, app_owner):
    _, request = ordered
    tx = finalize(hub, oracle, request, workers[:1], DIGEST, b"\x01\x02")
    assert tx.events["TaskFinalized"]["callbackSucceeded"] is False
    assert hub.balanceOf(app_owner) == APP_PRICE


def test_unanswered_order_refunds_the_user(ordered, hub, rlc, user, chain):
    _, request = ordered
    before = rlc.balanceOf(user)
    chain.sleep(field(request, "deadline") - chain[-1].timestamp + 1)  # block time: chain.time() can drift after a revert
    hub.claim(request, {"from": user})
    assert rlc.balanceOf(user) == before + PRICE


@pytest.mark.parametrize("prefix", ["", "123456789", "xy", "0x"])
def test_invalid_prefix(rlc, vanity, user, deployer, prefix):
    with brownie.reverts(err("InvalidPrefix", prefix)):
        rlc.approveAndCall(vanity, PRICE, _order(prefix, deployer.address), {"from": user})


def test_payment_too_low(rlc, vanity, user, deployer):
    with brownie.reverts(err("PriceAboveMax", PRICE, PRICE - 1)):
        rlc.approveAndCall(vanity, PRICE - 1, _order("ab", deployer.address), {"from": user})


def test_overpayment_is_not_taken(rlc, vanity, user, deployer):
    before = rlc.balanceOf(user)
    rlc.approveAndCall(vanity, 100 * RLC_UNIT, _order("ab", deployer.address), {"from": user})
    assert rlc.balanceOf(user) == before - PRICE


def test_price_is_what_a_request_charges(vanity, rlc, hub, user, deployer):
    assert vanity.price() == PRICE
    before = rlc.balanceOf(user)
    rlc.approveAndCall(vanity, vanity.price(), _order("c0de", deployer.address), {"from": user})
    assert before - rlc.balanceOf(user) == PRICE


def test_price_follows_the_pools_terms(vanity, hub, pool, pool_owner, oracle):
    hub.updatePool(pool, pool_config(pool_owner, oracle, price=POOL_PRICE + 7), {"from": pool_owner})
    assert vanity.price() == PRICE + 7  # trust 1: one replica more expensive by 7 nRLC
