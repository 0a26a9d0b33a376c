"""Checks `oracle run` makes before its first step, each failing with one line an operator can
act on: the chain is the deployment's, the key is the pool's oracle, the grid accepts the token."""

from __future__ import annotations

from offchain_grid.client import ClientError, GridClient

from .errors import GridError, OracleError, WrongChain
from .hub import hub_contract

_ZERO = "0x" + "00" * 20


class WrongKey(OracleError):
    """The oracle's key is not the one the pool names: every finalize would revert."""


def check_pool_oracle(w3, hub_address: str, pool: int, address: str) -> None:
    """The pool exists on this Hub and names `address` as its oracle."""
    owner, _price, _fee, _duration, oracle, *_rest = hub_contract(w3, hub_address).functions.s_pools(pool).call()
    if owner == _ZERO:
        raise WrongChain(f"pool {pool} does not exist on the Hub at {hub_address}")
    if oracle.lower() != address.lower():
        raise WrongKey(f"the oracle key's address {address} is not pool {pool}'s oracle ({oracle}): "
                       "run with the key the pool names, or update the pool")


def check_grid(grid: GridClient) -> str:
    """The grid answers and accepts the token; returns the grid user's name."""
    try:
        me = grid.get("/users/me")
    except ClientError as exc:
        if exc.status in (401, 403):
            raise GridError(f"the grid at {grid.server} refuses the oracle's token ({exc.status}): "
                            "check --grid-token / XW_TOKEN") from None
        raise GridError(f"the grid at {grid.server} does not answer: {exc}") from None
    return me.get("name", "")
