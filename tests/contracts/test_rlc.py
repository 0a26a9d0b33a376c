import brownie
from eth_abi import encode

from conftest import RLC_UNIT, SUPPLY


def test_supply_goes_to_holder(rlc, deployer, user):
    assert rlc.totalSupply() == SUPPLY
    assert rlc.balanceOf(deployer) + rlc.balanceOf(user) == SUPPLY


def test_nine_decimals(rlc):
    assert rlc.decimals() == 9


def test_name_and_symbol(rlc):
    assert (rlc.name(), rlc.symbol()) == ("iExec RLC", "RLC")


def test_approve_and_call_undone_when_receiver_refuses(rlc, user, value_store):
    # ValueStore has no receiveApproval (nor fallback): the call reverts without data, and
    # the approval is undone with it
    with brownie.reverts():
        rlc.approveAndCall(value_store, RLC_UNIT, b"", {"from": user})
    assert rlc.allowance(user, value_store) == 0


def test_approve_and_call_to_hub_sets_allowance_and_requests(rlc, hub, app, pool, user):
    from helpers import encode_spec, spec

    tx = rlc.approveAndCall(hub, 13 * RLC_UNIT, encode_spec(spec(app, pool)), {"from": user})
    assert tx.events["Approval"]["value"] == 13 * RLC_UNIT
    assert "TaskRequested" in tx.events
    assert rlc.allowance(user, hub) == 0  # the request spent all of it


def test_approve_and_call_passes_data_untouched(rlc, hub, user, vanity):
    data = encode(["string", "address", "bytes32"], ["zz", user.address, b"\x00" * 32])
    # the dapp rejects the prefix it decoded from exactly these bytes
    with brownie.reverts("InvalidPrefix: zz"):
        rlc.approveAndCall(vanity, 20 * RLC_UNIT, data, {"from": user})
