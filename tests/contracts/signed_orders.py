"""Signed orders for the market tests, built and signed the way the order book's clients do
(orderbook.orders), under the Hub's EIP-712 domain on this chain."""

from functools import lru_cache

from brownie import chain

from conftest import APP_PRICE, CALLBACK_GAS_PRICE, DATASET_PRICE, POOL_PRICE
from offchain_grid.contribution import hub_domain
from oracle.devchain import dev_keys
from orderbook import orders

ZERO = "0x" + "00" * 20
EMPTY = {"app": b"", "dataset": b"", "pool": b"", "request": b""}


@lru_cache(maxsize=None)
def _anvil_keys() -> dict:
    return {a.address: a.key for a in dev_keys()}


def key_of(account) -> bytes:
    """The private key of one of brownie's development accounts, or of an account added by key."""
    return getattr(account, "private_key", None) or _anvil_keys()[account.address]


def domain(hub, chain_id=None):
    return hub_domain(chain.id if chain_id is None else chain_id, hub.address)


def later(seconds=3600) -> int:
    return chain.time() + seconds


def app_order(app, price=APP_PRICE, volume=100, **values):
    return orders.new_order("app", app=app, price=price, volume=volume, expiry=values.pop("expiry", later()), **values)


def dataset_order(dataset, price=DATASET_PRICE, volume=100, **values):
    return orders.new_order("dataset", dataset=dataset, price=price, volume=volume,
                            expiry=values.pop("expiry", later()), **values)


def pool_order(pool, price=POOL_PRICE, volume=100, **values):
    return orders.new_order("pool", pool=pool, price=price, callbackGasPrice=values.pop("callbackGasPrice",
                            CALLBACK_GAS_PRICE), maxTrust=values.pop("maxTrust", 5),
                            workerStake=values.pop("workerStake", 10**12), workerScore=values.pop("workerScore", 10**6),
                            volume=volume, expiry=values.pop("expiry", later()), **values)


def request_order(requester, app, max_price=10**15, volume=1, **values):
    return orders.new_order("request", requester=_address(requester), app=app, maxPrice=max_price,
                            trust=values.pop("trust", 1), volume=volume, expiry=values.pop("expiry", later()),
                            params=values.pop("params", b"abc 12"), **values)


def sign(hub, kind, order, signer, chain_id=None):
    return orders.sign(kind, order, key_of(signer), domain(hub, chain_id))


def digest(hub, kind, order):
    """The order's EIP-712 digest, as 0x-hex (as events show it)."""
    return "0x" + orders.digest(kind, order, domain(hub)).hex()


def raw(hub, kind, order) -> bytes:
    """The order's EIP-712 digest as bytes (as brownie shows a bytes32 in a custom error)."""
    return orders.digest(kind, order, domain(hub))


def use_of(hub, signer, order_hash) -> tuple:
    """(units consumed, cancelled) of an order, as plain values."""
    consumed, cancelled = hub.orderUse(signer, order_hash)
    return int(consumed), bool(cancelled)


def as_args(app, dataset, pool, request, signatures):
    """matchOrders' arguments; a missing dataset order is all zeros."""
    dataset = dataset or orders.new_order("dataset", salt=bytes(32))
    sigs = {**EMPTY, **signatures}
    return (orders.as_tuple("app", app), orders.as_tuple("dataset", dataset), orders.as_tuple("pool", pool),
            orders.as_tuple("request", request), (sigs["app"], sigs["dataset"], sigs["pool"], sigs["request"]))


def signed_match(hub, app, pool, request, *, app_signer, pool_signer, requester=None, dataset=None,
                 dataset_signer=None):
    """matchOrders' arguments with each order signed by the given account (the request order
    too when `requester` is given)."""
    sigs = {"app": sign(hub, "app", app, app_signer), "pool": sign(hub, "pool", pool, pool_signer)}
    if dataset is not None:
        sigs["dataset"] = sign(hub, "dataset", dataset, dataset_signer)
    if requester is not None:
        sigs["request"] = sign(hub, "request", request, requester)
    return as_args(app, dataset, pool, request, sigs)


def match_data(hub, args) -> bytes:
    """A whole matchOrders call, as approveAndCall's data."""
    return bytes.fromhex(hub.matchOrders.encode_input(*args)[2:])


def _address(account):
    return getattr(account, "address", account)
