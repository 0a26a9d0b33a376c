"""What the Task base guarantees every dapp: results from the Hub only, for its own requests."""

import brownie

from helpers import DIGEST, err, finalize, open_task


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


def test_dapp_lets_the_hub_take_its_requests_price(vanity, hub, rlc):
    # a standing allowance: the dapp holds nothing between calls, and the Hub takes from a
    # requester only when that requester itself calls
    assert rlc.allowance(vanity, hub) == 2**256 - 1
    assert rlc.balanceOf(vanity) == 0
