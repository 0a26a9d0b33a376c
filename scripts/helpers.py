"""What every script needs: the active network, the chain it reached (checked before any
transaction), the deployment recorded for it, and the keys to act with.

On the local networks (`development`, `anvil`) the keys are anvil's well-known dev keys; on a
live network they come from the environment and nothing secret is ever written down.
"""

import os

import brownie.network.contract
from brownie import network, rpc, web3
from eth_account import Account

from oracle.deployment import Deployment
from oracle.devchain import dev_keys
from oracle.errors import OracleError

# which dev key plays which role on a local chain
ROLES = {"deployer": 0, "app_owner": 1, "pool_owner": 2, "oracle": 3, "user": 4}
FIRST_WORKER = 5
LOCAL_NETWORKS = ("development", "anvil")


def _keep_deployments_in_checkout() -> None:
    """`MyDapp.deploy(...)` and `MyDapp.at(address)` on a live network, as brownie users write them.

    On a live network brownie 1.22 records each contract twice, and both records break things:
    in the user's own ~/.brownie/deployments.db, a step that fails under its compiled module
    ("dict object expected; got Sources"); and in build/deployments/<chain id>/, where the id
    is the one the network was registered with (one for every chain `cumulus-live` reaches), so
    the next run on another chain stops at start-up on a contract that is not there. This
    project records addresses in deployments/<network>.json with the chain they belong to, so
    brownie's records are skipped.
    """
    brownie.network.contract._add_deployment = lambda contract, alias=None: None
    brownie.network.contract._DeployedContractBase._save_deployment = lambda self: None


_keep_deployments_in_checkout()


def network_name() -> str:
    return network.show_active()


def is_local() -> bool:
    return network_name() in LOCAL_NETWORKS


def rpc_address() -> str:
    return web3.provider.endpoint_uri


def fail(message: str):
    """Stop the script with one line, before any transaction."""
    raise SystemExit(f"error: {message}")


def checked_deployment() -> Deployment:
    """The active network's deployment, once the chain brownie reached is shown to be its chain."""
    try:
        recorded = Deployment.load(network_name())
        recorded.check(web3, rpc_address())
    except OracleError as exc:
        fail(str(exc))
    return recorded


def check_own_chain() -> None:
    """A local network must be a chain started for this work, never whatever listens on its port.

    `development` is a chain brownie starts itself: if brownie found one already running on
    the port, it attached to it, and that chain may be someone else's. `anvil` attaches to a
    chain you started; it must be fresh or the one already recorded for this checkout.
    """
    if network_name() == "development" and not rpc.is_child():
        fail(f"a chain already listens at {rpc_address()}, so brownie attached to it instead of starting "
             "its own: it may be someone else's. Free that port, or start your own anvil and use --network anvil")
    if network_name() == "anvil" and web3.eth.block_number > 0:
        try:
            Deployment.load(network_name()).check(web3, rpc_address())
        except OracleError:
            fail(f"the chain at {rpc_address()} already has {web3.eth.block_number} blocks and is not the one "
                 "deployments/anvil.json records: it may be someone else's. Start a fresh `anvil` for this work")


def account(role: str):
    """The key acting as `role`: a dev key locally, else the one in $CUMULUS_<ROLE>_KEY or
    $CUMULUS_PRIVATE_KEY."""
    if is_local():
        return dev_keys(10)[ROLES[role]]
    key = os.environ.get(f"CUMULUS_{role.upper()}_KEY") or os.environ.get("CUMULUS_PRIVATE_KEY")
    if not key:
        fail(f"set CUMULUS_{role.upper()}_KEY or CUMULUS_PRIVATE_KEY for the {role} on {network_name()}")
    return Account.from_key(key)


def worker_accounts(count: int = 3):
    if is_local():
        return dev_keys(10)[FIRST_WORKER:FIRST_WORKER + count]
    keys = [k for k in os.environ.get("CUMULUS_WORKER_KEYS", "").split(",") if k]
    return [Account.from_key(k) for k in keys]


def w3():
    return web3
