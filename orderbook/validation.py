"""Whether the book takes an order: its terms (pure checks, the Hub's limits), its signer (the party
the Hub will require, read from the chain) and its signature under this Hub's domain."""

from __future__ import annotations

from oracle.arguments import app_arguments

from . import orders
from .chain import ZERO, ChainView

MAX_TRUST = 32  # the Hub's MAX_TRUST
MAX_CALLBACK_GAS = 2_000_000  # the Hub's MAX_CALLBACK_GAS


class Refused(Exception):
    """The book will not take (or keep) this order; `status` is the HTTP answer, the message says why."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def check_terms(kind: str, order: dict, now: int) -> None:
    """The Hub's limits and what any match of this order needs, without the chain's help."""
    if order["volume"] == 0:
        raise Refused(f"the {kind} order has no volume: it could never be matched")
    if order["expiry"] <= now:
        raise Refused(f"the {kind} order expired at {order['expiry']} (the chain's time is {now})")
    own = {"app": "app", "dataset": "dataset", "pool": "pool", "request": "app"}[kind]
    if order[own] == 0:
        raise Refused(f"the {kind} order names no {own}")
    if kind == "pool" and not 1 <= order["maxTrust"] <= MAX_TRUST:
        raise Refused(f"the pool order's maxTrust must be 1 to {MAX_TRUST}")
    if kind == "request":
        if not 1 <= order["trust"] <= MAX_TRUST:
            raise Refused(f"the request order's trust must be 1 to {MAX_TRUST}")
        if order["callbackGasLimit"] > MAX_CALLBACK_GAS:
            raise Refused(f"the request order's callbackGasLimit is above the Hub's {MAX_CALLBACK_GAS:,}")
        try:
            app_arguments(order["params"])
        except ValueError as exc:
            raise Refused(f"the request order's params are no app arguments: {exc}") from None


def expected_signers(kind: str, order: dict, chain: ChainView) -> tuple[str, ...]:
    """Who may sign this order as the Hub sees it now; refuses an order naming unknown entries."""
    if kind == "app":
        return (_known(chain.app_owner(order["app"]), "app", order["app"]),)
    if kind == "dataset":
        return (_known(chain.dataset_owner(order["dataset"]), "dataset", order["dataset"]),)
    if kind == "pool":
        owner, oracle = chain.pool_signers(order["pool"])
        return (_known(owner, "pool", order["pool"]), oracle)
    _known(chain.app_owner(order["app"]), "app", order["app"])
    if order["dataset"]:
        _known(chain.dataset_owner(order["dataset"]), "dataset", order["dataset"])
    if order["pool"]:
        _known(chain.pool_signers(order["pool"])[0], "pool", order["pool"])
    if order["callback"] != ZERO and not chain.has_code(order["callback"]):
        raise Refused(f"the request order's callback {order['callback']} holds no contract")
    return (order["requester"],)


def verified_signer(kind: str, order: dict, signature: bytes, chain: ChainView) -> str:
    """The party whose signature this is (an account's ECDSA signature, or a contract's ERC-1271
    answer), among those the Hub accepts for this order; Refused otherwise."""
    signers = expected_signers(kind, order, chain)
    recovered = orders.recover(kind, order, signature, chain.domain)
    if recovered in signers:
        return recovered
    digest = orders.digest(kind, order, chain.domain)
    for signer in signers:
        if chain.vouches(signer, digest, signature):
            return signer
    who = {"app": "the app's owner", "dataset": "the dataset's owner", "pool": "the pool's owner or oracle",
           "request": "the requester"}[kind]
    raise Refused(f"the signature is not by {who} ({' or '.join(signers)}) over this order under this Hub's "
                  f"domain (chain {chain.domain.chain_id}, Hub {chain.hub.address})")


def _known(owner: str, what: str, number: int) -> str:
    if owner == ZERO:
        raise Refused(f"no {what} {number} is registered on this Hub")
    return owner
