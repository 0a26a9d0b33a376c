import brownie
from eth_utils import keccak

from conftest import APP_PRICE, DATASET_PRICE, MAX_DURATION, POOL_PRICE
from helpers import encode_spec, err, request_of, request_task, spec, task_id_of

PRICE = APP_PRICE + POOL_PRICE


def test_request_emits_everything_the_oracle_needs(hub, rlc, app, pool, user, value_store):
    tx = request_task(hub, rlc, user, spec(app, pool, trust=3, callback=value_store.address, params=b"xyz"))
    event = tx.events["TaskRequested"]
    assert (event["pool"], event["requester"], event["params"]) == (pool, user, "0x78797a")
    expected = (user, user, value_store, app, 0, pool, APP_PRICE, 0, POOL_PRICE, 100_000, 3,
                tx.timestamp + MAX_DURATION, 1, "0x" + keccak(b"xyz").hex())
    assert request_of(tx) == expected


def test_task_id_is_hash_of_request(hub, rlc, app, pool, user):
    tx = request_task(hub, rlc, user, spec(app, pool))
    assert hub.taskIdOf(request_of(tx)) == task_id_of(tx) == tx.return_value
    assert hub.taskStatus(task_id_of(tx)) == 1 == hub.s_tasks(task_id_of(tx))


def test_identical_requests_get_distinct_ids(hub, rlc, app, pool, user):
    first = request_task(hub, rlc, user, spec(app, pool))
    second = request_task(hub, rlc, user, spec(app, pool))
    assert request_of(second)[12] == request_of(first)[12] + 1
    assert task_id_of(first) != task_id_of(second)


def test_request_locks_full_price_with_dataset(hub, rlc, app, dataset, pool, user):
    before = rlc.balanceOf(user)
    request_task(hub, rlc, user, spec(app, pool, dataset=dataset))
    assert rlc.balanceOf(user) == before - PRICE - DATASET_PRICE
    assert rlc.balanceOf(hub) == hub.totalOwed() == PRICE + DATASET_PRICE


def test_refund_address_and_duration_as_asked(hub, rlc, app, pool, user, stranger):
    tx = request_task(hub, rlc, user, spec(app, pool, refund_to=stranger.address, duration=60))
    request = request_of(tx)
    assert request[1] == stranger
    assert request[11] == tx.timestamp + 60


def test_request_by_approve_and_call(hub, rlc, app, pool, user):
    tx = rlc.approveAndCall(hub, PRICE, encode_spec(spec(app, pool)), {"from": user})
    assert tx.events["TaskRequested"]["requester"] == user
    assert rlc.balanceOf(hub) == hub.totalOwed() == PRICE


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


def test_callback_gas_above_max(hub, app, pool, user):
    with brownie.reverts(err("CallbackGasTooHigh", 2_000_001, 2_000_000)):
        hub.requestTask(spec(app, pool, callback_gas=2_000_001), {"from": user})


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
    assert request_of(tx)[6] == APP_PRICE
    assert hub.quote(app, 0, pool) == 1 + POOL_PRICE


def test_approve_and_call_short_allowance_refused(hub, rlc, app, pool, user):
    with brownie.reverts(err("ERC20InsufficientAllowance", hub, PRICE - 1, PRICE)):
        rlc.approveAndCall(hub, PRICE - 1, encode_spec(spec(app, pool)), {"from": user})
    assert rlc.balanceOf(hub) == 0


def test_rlc_accessor(hub, rlc):
    assert hub.rlc() == rlc
    assert hub.taskStatus(b"\x00" * 32) == 0
