"""What every script needs: the active network's name and web3, and the keys to act with.

On the development network the keys are anvil's well-known dev keys; on a live network the
deployer key comes from $CUMULUS_PRIVATE_KEY and nothing secret is ever written down.
"""

import os

from brownie import network, web3
from eth_account import Account

from oracle.devchain import dev_keys

# which dev key plays which role on a local chain
ROLES = {"deployer": 0, "app_owner": 1, "pool_owner": 2, "oracle": 3, "user": 4}
FIRST_WORKER = 5


def network_name() -> str:
    return network.show_active()


def is_local() -> bool:
    return network_name() in ("development", "anvil")


def account(role: str):
    """The key acting as `role`: a dev key locally, else the one in $CUMULUS_<ROLE>_KEY or
    $CUMULUS_PRIVATE_KEY."""
    if is_local():
        return dev_keys(10)[ROLES[role]]
    key = os.environ.get(f"CUMULUS_{role.upper()}_KEY") or os.environ.get("CUMULUS_PRIVATE_KEY")
    if not key:
        raise SystemExit(f"set CUMULUS_{role.upper()}_KEY or CUMULUS_PRIVATE_KEY for the {role} on {network_name()}")
    return Account.from_key(key)


def worker_accounts(count: int = 3):
    if is_local():
        return dev_keys(10)[FIRST_WORKER:FIRST_WORKER + count]
    keys = [k for k in os.environ.get("CUMULUS_WORKER_KEYS", "").split(",") if k]
    return [Account.from_key(k) for k in keys]


def w3():
    return web3
