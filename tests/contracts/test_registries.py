import brownie

from conftest import APP_PRICE, CALLBACK_GAS_PRICE, MAX_DURATION, MIN_STAKE, OWNER_FEE_BPS, POOL_PRICE, pool_config
from helpers import ZERO, err, spec


def test_register_app_stores_and_emits(hub, app_owner):
    tx = hub.registerApp(7, b"\x01" * 32, "grid-app", {"from": app_owner})
    assert tx.return_value == 1
    assert list(tx.events["AppRegistered"].values()) == [1, app_owner, 7, "0x" + "01" * 32, "grid-app"]
    assert tuple(hub.s_apps(1)) == (app_owner.address, 7, "0x" + "01" * 32, "grid-app")


def test_app_ids_count_up(hub, app, app_owner):
    tx = hub.registerApp(1, b"\x01" * 32, "second", {"from": app_owner})
    assert tx.return_value == 2 == hub.s_appCount()


def test_app_with_zero_checksum_refused(hub, app_owner):
    with brownie.reverts(err("ZeroChecksum")):
        hub.registerApp(1, b"\x00" * 32, "no-check", {"from": app_owner})


def test_dataset_with_zero_checksum_refused(hub, dataset_owner):
    with brownie.reverts(err("ZeroChecksum")):
        hub.registerDataset(1, b"\x00" * 32, "data-uid", {"from": dataset_owner})


def test_register_dataset_stores_and_emits(hub, dataset_owner):
    tx = hub.registerDataset(5, b"\x02" * 32, "https://data/x", {"from": dataset_owner})
    assert tx.return_value == 1
    assert list(tx.events["DatasetRegistered"].values()) == [1, dataset_owner, 5, "0x" + "02" * 32, "https://data/x"]
    assert hub.s_datasets(1)[0] == dataset_owner


def test_uri_too_long_refused(hub, app_owner):
    with brownie.reverts(err("UriTooLong", 513, 512)):
        hub.registerApp(1, b"\x01" * 32, "x" * 513, {"from": app_owner})


def test_dataset_uri_too_long_refused(hub, dataset_owner):
    with brownie.reverts(err("UriTooLong", 600, 512)):
        hub.registerDataset(1, b"\x01" * 32, "x" * 600, {"from": dataset_owner})


def test_set_app_price(hub, app, app_owner):
    tx = hub.setAppPrice(app, 9, {"from": app_owner})
    assert list(tx.events["AppPriceChanged"].values()) == [app, 9]
    assert hub.s_apps(app)[1] == 9


def test_set_app_price_owner_only(hub, app, app_owner, stranger):
    with brownie.reverts(err("NotOwner", stranger, app_owner)):
        hub.setAppPrice(app, 9, {"from": stranger})


def test_set_unknown_app_price(hub, app_owner):
    with brownie.reverts(err("UnknownApp", 42)):
        hub.setAppPrice(42, 9, {"from": app_owner})


def test_set_dataset_price(hub, dataset, dataset_owner):
    tx = hub.setDatasetPrice(dataset, 4, {"from": dataset_owner})
    assert list(tx.events["DatasetPriceChanged"].values()) == [dataset, 4]
    assert hub.s_datasets(dataset)[1] == 4


def test_set_dataset_price_owner_only(hub, dataset, dataset_owner, stranger):
    with brownie.reverts(err("NotOwner", stranger, dataset_owner)):
        hub.setDatasetPrice(dataset, 4, {"from": stranger})


def test_set_unknown_dataset_price(hub, dataset_owner):
    with brownie.reverts(err("UnknownDataset", 3)):
        hub.setDatasetPrice(3, 4, {"from": dataset_owner})


def test_register_pool_owner_is_caller(hub, pool_owner, oracle, stranger):
    tx = hub.registerPool(pool_config(stranger, oracle), {"from": pool_owner})
    stored = pool_config(pool_owner.address, oracle.address)
    assert tuple(hub.s_pools(tx.return_value)) == stored
    assert tx.events["PoolRegistered"]["owner"] == pool_owner
    assert tuple(tx.events["PoolRegistered"]["config"]) == stored


def test_register_pool_zero_oracle(hub, pool_owner):
    with brownie.reverts(err("ZeroAddress")):
        hub.registerPool(pool_config(pool_owner, ZERO), {"from": pool_owner})


def test_register_pool_fee_above_whole(hub, pool_owner, oracle):
    with brownie.reverts(err("InvalidFeeShare", 10_001, 10_000)):
        hub.registerPool(pool_config(pool_owner, oracle, fee_bps=10_001), {"from": pool_owner})


def test_update_pool(hub, pool, pool_owner, stranger):
    config = pool_config(pool_owner.address, stranger.address, price=1, fee_bps=0, min_stake=0, max_duration=60,
                         callback_gas_price=7)
    tx = hub.updatePool(pool, config, {"from": pool_owner})
    assert tuple(tx.events["PoolUpdated"]["config"]) == config
    assert tuple(hub.s_pools(pool)) == config


def test_update_pool_transfers_ownership(hub, pool, pool_owner, oracle, stranger):
    hub.updatePool(pool, pool_config(stranger, oracle), {"from": pool_owner})
    with brownie.reverts(err("NotOwner", pool_owner, stranger)):
        hub.updatePool(pool, pool_config(pool_owner, oracle), {"from": pool_owner})


def test_update_pool_owner_only(hub, pool, pool_owner, oracle, stranger):
    with brownie.reverts(err("NotOwner", stranger, pool_owner)):
        hub.updatePool(pool, pool_config(stranger, oracle), {"from": stranger})


def test_update_pool_to_zero_owner(hub, pool, pool_owner, oracle):
    with brownie.reverts(err("ZeroAddress")):
        hub.updatePool(pool, pool_config(ZERO, oracle), {"from": pool_owner})


def test_update_unknown_pool(hub, pool_owner, oracle):
    with brownie.reverts(err("UnknownPool", 9)):
        hub.updatePool(9, pool_config(pool_owner, oracle), {"from": pool_owner})


def test_quote_is_the_whole_price(hub, app, dataset, pool, value_store):
    assert hub.quote(spec(app, pool)) == APP_PRICE + POOL_PRICE
    with_dataset = hub.quote(spec(app, pool, dataset=dataset))
    assert with_dataset == hub.quote(spec(app, pool)) + hub.s_datasets(dataset)[1]
    full = spec(app, pool, dataset=dataset, trust=4, callback=value_store.address, callback_gas=300_000)
    assert hub.quote(full) == APP_PRICE + hub.s_datasets(dataset)[1] + 4 * POOL_PRICE + 300_000 * CALLBACK_GAS_PRICE


def test_quote_unknown_entries(hub, app, pool):
    with brownie.reverts(err("UnknownApp", 5)):
        hub.quote(spec(5, pool))
    with brownie.reverts(err("UnknownDataset", 5)):
        hub.quote(spec(app, pool, dataset=5))
    with brownie.reverts(err("UnknownPool", 5)):
        hub.quote(spec(app, 5))


def test_registry_refuses_to_run_outside_the_hub(HubRegistry, hub, rlc, app_owner):
    registry = HubRegistry.at(hub.i_registry())
    with brownie.reverts(err("OnlyThroughHub", hub)):
        registry.registerApp(1, b"\x01" * 32, "direct", {"from": app_owner})
    with brownie.reverts(err("OnlyThroughHub", hub)):
        registry.deposit(1, {"from": app_owner})


def test_pool_defaults_are_the_configured_ones(hub, pool):
    assert tuple(hub.s_pools(pool))[1:4] == (POOL_PRICE, OWNER_FEE_BPS, MAX_DURATION)
    assert tuple(hub.s_pools(pool))[5:] == (MIN_STAKE, CALLBACK_GAS_PRICE)
