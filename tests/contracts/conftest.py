"""Fixtures for the contract tests: one deployment per module, state reverted after each test."""

import pytest
from brownie import _config
from brownie import accounts as brownie_accounts
from eth_account import Account

from oracle.devchain import free_port

# brownie starts the development chain after collection: on a free port chosen here, in this
# process, rather than a port written into the user's ~/.brownie that every checkout shares
_config.CONFIG.networks["development"]["cmd_settings"]["port"] = free_port()

RLC_UNIT = 10**9
SUPPLY = 87_000_000 * RLC_UNIT
APP_PRICE = 3 * RLC_UNIT
DATASET_PRICE = 2 * RLC_UNIT
POOL_PRICE = 10 * RLC_UNIT  # per replica
CALLBACK_GAS_PRICE = 1_000  # nRLC per unit of callback gas: 100,000 gas cost 0.1 RLC
MIN_STAKE = 50 * RLC_UNIT
MAX_DURATION = 3600
OWNER_FEE_BPS = 1_000
WORKER_KEYS = [Account.from_key(bytes([i + 1]) * 32) for i in range(6)]


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def app_owner(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def dataset_owner(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def pool_owner(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def oracle(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def user(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def rlc(RLC, deployer, user):
    token = RLC.deploy(deployer, SUPPLY, {"from": deployer})
    token.transfer(user, 10_000 * RLC_UNIT, {"from": deployer})
    return token


@pytest.fixture(scope="module")
def hub(Hub, rlc, deployer):
    return Hub.deploy(rlc, {"from": deployer})


@pytest.fixture(scope="module")
def app(hub, app_owner):
    hub.registerApp(APP_PRICE, b"\x11" * 32, "vanity", {"from": app_owner})
    return 1


@pytest.fixture(scope="module")
def dataset(hub, dataset_owner):
    hub.registerDataset(DATASET_PRICE, b"\x22" * 32, "data-uid-1", {"from": dataset_owner})
    return 1


@pytest.fixture(scope="module")
def pool(hub, pool_owner, oracle):
    hub.registerPool(pool_config(pool_owner, oracle), {"from": pool_owner})
    return 1


def pool_config(owner, oracle, price=POOL_PRICE, fee_bps=OWNER_FEE_BPS, min_stake=MIN_STAKE,
                max_duration=MAX_DURATION, callback_gas_price=CALLBACK_GAS_PRICE):
    """A Pool struct as registerPool and updatePool take it."""
    return (_address(owner), price, fee_bps, max_duration, _address(oracle), min_stake, callback_gas_price)


def _address(account):
    return getattr(account, "address", account)


@pytest.fixture(scope="module")
def workers(hub, rlc, pool, deployer):
    """Six staked workers of the pool, as brownie accounts that hold their private keys."""
    joined = []
    for key in WORKER_KEYS:
        worker = brownie_accounts.add(key.key)
        deployer.transfer(worker, "1 ether")
        rlc.transfer(worker, 1_000 * RLC_UNIT, {"from": deployer})
        rlc.approve(hub, MIN_STAKE, {"from": worker})
        hub.joinPool(pool, MIN_STAKE, {"from": worker})
        joined.append(worker)
    return sorted(joined, key=lambda w: int(w.address, 16))


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def outsider(deployer):
    """A funded account with a private key that never joined a pool."""
    account = brownie_accounts.add(bytes([0x77]) * 32)
    deployer.transfer(account, "1 ether")
    return account


@pytest.fixture(scope="module")
def value_store(ValueStore, deployer):
    return ValueStore.deploy({"from": deployer})


@pytest.fixture(scope="module")
def vanity(VanityAddress, hub, app, pool, deployer):
    return VanityAddress.deploy(hub, app, pool, 1, 200_000, {"from": deployer})
