import brownie
from eth_utils import keccak

from conftest import APP_PRICE, CALLBACK_GAS_PRICE, DATASET_PRICE, MAX_DURATION, MIN_STAKE, OWNER_FEE_BPS, POOL_PRICE
from helpers import (ZERO, encode_spec, err, field, price_of, request_of, request_task, spec, task_id_of)

PRICE = APP_PRICE + POOL_PRICE  # trust 1, no callback
FEE = POOL_PRICE * OWNER_FEE_BPS // 10_000


def test_request_emits_everything_the_oracle_needs(hub, rlc, app, pool, user, value_store, app_owner, pool_owner,
                                                    oracle):
    tx = request_task(hub, rlc, user, spec(app, pool, trust=3, callback=value_store.address, params=b"xyz",
                                           min_score=7))
    event = tx.events["TaskRequested"]
    assert (event["pool"], event["requester"], event["params"]) == (pool, user, "0x78797a")
    callback_price = 100_000 * CALLBACK_GAS_PRICE
    expected = (user, user, value_store, 100_000, 3, MIN_STAKE, 7, app, app_owner, APP_PRICE, 0, ZERO, 0,
                pool, pool_owner, oracle, 3 * (POOL_PRICE - FEE), 3 * FEE + callback_price,
                tx.timestamp, tx.timestamp + MAX_DURATION, 0, "0x" + keccak(b"xyz").hex())
    assert request_of(tx) == expected


def test_task_id_is_hash_of_request(hub, rlc, app, pool, user):
    tx = request_task(hub, rlc, user, spec(app, pool))
    assert hub.taskIdOf(request_of(tx)) == task_id_of(tx) == tx.return_value
    assert "0x" + keccak(encode_request(request_of(tx))).hex() == task_id_of(tx)
    assert hub.taskStatus(task_id_of(tx)) == 1 == hub.s_tasks(task_id_of(tx))


def encode_request(request):
    from eth_abi import encode

    from oracle.hub import _request_components

    return encode(["(" + ",".join(c["type"] for c in _request_components()) + ")"], [request])


def test_identical_requests_in_one_block_get_distinct_ids(hub, rlc, app, pool, user, chain, web3):
    rlc.approve(hub, 2 * PRICE, {"from": user})
    data = hub.requestTask.encode_input(spec(app, pool))
    web3.provider.make_request("evm_setAutomine", [False])
    try:
        sent = [web3.eth.send_transaction({"from": user.address, "to": hub.address, "data": data, "gas": 500_000})
                for _ in range(2)]
        web3.provider.make_request("evm_mine", [])
    finally:
        web3.provider.make_request("evm_setAutomine", [True])
    first, second = (chain.get_transaction(h.hex() if isinstance(h, bytes) else h) for h in sent)
    assert first.block_number == second.block_number
    assert field(request_of(second), "nonce") == field(request_of(first), "nonce") + 1
    assert task_id_of(first) != task_id_of(second)


def test_identical_requests_in_two_blocks_differ_by_their_time(hub, rlc, app, pool, user, chain):
    first = request_task(hub, rlc, user, spec(app, pool))
    chain.sleep(1)
    second = request_task(hub, rlc, user, spec(app, pool))
    assert field(request_of(second), "nonce") == 0
    assert field(request_of(second), "requestedAt") > field(request_of(first), "requestedAt")
    assert task_id_of(first) != task_id_of(second)


def test_request_locks_full_price_with_dataset(hub, rlc, app, dataset, pool, user):
    before = rlc.balanceOf(user)
    tx = request_task(hub, rlc, user, spec(app, pool, dataset=dataset))
    assert rlc.balanceOf(user) == before - PRICE - DATASET_PRICE == before - price_of(request_of(tx))
    assert rlc.balanceOf(hub) == PRICE + DATASET_PRICE


def test_refund_address_and_duration_as_asked(hub, rlc, app, pool, user, stranger):
    tx = request_task(hub, rlc, user, spec(app, pool, refund_to=stranger.address, duration=60))
    request = request_of(tx)
    assert field(request, "refundTo") == stranger
    assert field(request, "deadline") == tx.timestamp + 60


def test_requester_raises_the_minimum_stake(hub, rlc, app, pool, user):
    assert field(request_of(request_task(hub, rlc, user, spec(app, pool, min_stake=MIN_STAKE + 5))),
                 "minStake") == MIN_STAKE + 5


def test_requester_cannot_lower_the_pool_minimum_stake(hub, rlc, app, pool, user):
    assert field(request_of(request_task(hub, rlc, user, spec(app, pool, min_stake=1))), "minStake") == MIN_STAKE


def test_request_by_approve_and_call(hub, rlc, app, pool, user):
    tx = rlc.approveAndCall(hub, PRICE, encode_spec(spec(app, pool)), {"from": user})
    assert tx.events["TaskRequested"]["requester"] == user
    assert rlc.balanceOf(hub) == PRICE


def test_approve_and_call_pays_by_transfer_even_with_a_balance(hub, rlc, app, pool, user):
    rlc.approve(hub, PRICE, {"from": user})
    hub.deposit(PRICE, {"from": user})
    rlc.approveAndCall(hub, PRICE, encode_spec(spec(app, pool)), {"from": user})
    assert hub.s_balances(user) == PRICE  # the deposit is untouched
    assert rlc.balanceOf(hub) == 2 * PRICE


def test_receive_approval_from_other_token_refused(hub, app, pool, stranger):
    with brownie.reverts(err("UnsupportedToken", stranger)):
        hub.receiveApproval(stranger, PRICE, stranger, encode_spec(spec(app, pool)), {"from": stranger})


def test_receive_approval_naming_other_token_refused(RLC, hub, rlc, app, pool, user, deployer):
    fake = RLC.deploy(user, 10**18, {"from": deployer})
    with brownie.reverts(err("UnsupportedToken", fake)):
        fake.approveAndCall(hub, PRICE, encode_spec(spec(app, pool)), {"from": user})


def test_unknown_app(hub, pool, user):
    with brownie.reverts(err("UnknownApp", 9)):
        hub.requestTask(spec(9, pool), {"from": user})


def test_unknown_dataset(hub, app, pool, user):
    with brownie.reverts(err("UnknownDataset", 9)):
        hub.requestTask(spec(app, pool, dataset=9), {"from": user})


def test_unknown_pool(hub, app, user):
    with brownie.reverts(err("UnknownPool", 9)):
        hub.requestTask(spec(app, 9), {"from": user})


def test_zero_trust(hub, app, pool, user):
    with brownie.reverts(err("InvalidTrust", 0, 32)):
        hub.requestTask(spec(app, pool, trust=0), {"from": user})


def test_trust_above_max(hub, app, pool, user):
    with brownie.reverts(err("InvalidTrust", 33, 32)):
        hub.requestTask(spec(app, pool, trust=33), {"from": user})


def test_callback_gas_above_max(hub, app, pool, user, value_store):
    with brownie.reverts(err("CallbackGasTooHigh", 2_000_001, 2_000_000)):
        hub.requestTask(spec(app, pool, callback=value_store.address, callback_gas=2_000_001), {"from": user})


def test_params_too_long(hub, app, pool, user):
    with brownie.reverts(err("ParamsTooLong", 4097, 4096)):
        hub.requestTask(spec(app, pool, params=b"x" * 4097), {"from": user})


def test_duration_above_pool_max(hub, app, pool, user):
    with brownie.reverts(err("DurationTooLong", MAX_DURATION + 1, MAX_DURATION)):
        hub.requestTask(spec(app, pool, duration=MAX_DURATION + 1), {"from": user})


def test_price_above_max(hub, app, pool, user):
    with brownie.reverts(err("PriceAboveMax", PRICE, PRICE - 1)):
        hub.requestTask(spec(app, pool, max_price=PRICE - 1), {"from": user})


def test_price_change_does_not_touch_open_tasks(hub, rlc, app, pool, user, app_owner):
    tx = request_task(hub, rlc, user, spec(app, pool))
    hub.setAppPrice(app, 1, {"from": app_owner})
    assert field(request_of(tx), "appPrice") == APP_PRICE
    assert hub.quote(spec(app, pool)) == 1 + POOL_PRICE


def test_approve_and_call_short_allowance_refused(hub, rlc, app, pool, user):
    with brownie.reverts(err("ERC20InsufficientAllowance", hub, PRICE - 1, PRICE)):
        rlc.approveAndCall(hub, PRICE - 1, encode_spec(spec(app, pool)), {"from": user})
    assert rlc.balanceOf(hub) == 0


def test_malformed_spec_in_approve_and_call_refused(hub, rlc, user):
    with brownie.reverts():
        rlc.approveAndCall(hub, PRICE, b"\x01\x02", {"from": user})
    assert rlc.allowance(user, hub) == 0


def test_rlc_accessor(hub, rlc):
    assert hub.rlc() == rlc
    assert hub.taskStatus(b"\x00" * 32) == 0
