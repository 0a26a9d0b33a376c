"""What the Task base guarantees every dapp: results from the Hub only, for its own requests."""

import brownie
from eth_abi import encode

from helpers import DIGEST, err, finalize, open_task, spec


def test_result_from_anyone_but_the_hub_refused(vanity, stranger):
    with brownie.reverts(err("NotHub", stranger)):
        vanity.onTaskResult(DIGEST, vanity, DIGEST, b"", {"from": stranger})


def test_result_of_someone_elses_request_refused(hub, rlc, app, pool, user, oracle, workers, vanity):
    # the Hub calls any callback its requester named: the dapp must refuse tasks it did not pay for
    request = open_task(hub, rlc, user, app, pool, callback=vanity.address, callback_gas=200_000)
    tx = finalize(hub, oracle, request, workers[:1], callback_data=b"")
    assert tx.events["TaskFinalized"]["callbackSucceeded"] is False


def test_not_requested_here_error(hub, vanity, user):
    # as the Hub would call it, impersonated
    with brownie.reverts(err("NotRequestedHere", DIGEST, user)):
        vanity.onTaskResult(DIGEST, user, DIGEST, b"", {"from": hub})


def test_approval_from_anyone_but_rlc_refused(vanity, stranger, rlc):
    with brownie.reverts(err("NotRLC", stranger)):
        vanity.receiveApproval(stranger, 1, rlc, b"", {"from": stranger})


def test_approval_naming_other_token_refused(vanity, rlc, stranger):
    with brownie.reverts(err("NotRLC", rlc)):
        vanity.receiveApproval(stranger, 1, stranger, b"", {"from": rlc})


def test_dapp_knows_its_hub_and_token(vanity, hub, rlc, app, pool):
    assert (vanity.i_hub(), vanity.i_rlc()) == (hub, rlc)
    assert (vanity.i_app(), vanity.i_pool(), vanity.i_trust(), vanity.i_callbackGasLimit()) == (app, pool, 1, 200_000)


def test_payment_callback_from_anyone_but_the_hub_refused(vanity, stranger, user):
    # else anyone could move a user's leftover allowance to the Hub
    with brownie.reverts(err("NotHub", stranger)):
        vanity.payForTask(1, encode(["address"], [user.address]), {"from": stranger})


def test_dapp_never_holds_the_payment(rlc, hub, vanity, user, deployer):
    price = hub.quote(spec(vanity.i_app(), vanity.i_pool(), callback=vanity.address, callback_gas=200_000))
    data = encode(["string", "address", "bytes32"], ["ab", deployer.address, b"\x00" * 32])
    tx = rlc.approveAndCall(vanity, price, data, {"from": user})
    [transfer] = [e for e in tx.events["Transfer"]]
    assert (transfer["from"], transfer["to"], transfer["value"]) == (user, hub, price)  # straight to the Hub
    assert rlc.balanceOf(vanity) == 0
