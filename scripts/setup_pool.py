"""Set up a pool serving the vanity dapp: the app on the grid and on chain, the pool, its
funded and staked workers, and the VanityAddress dapp. A rerun reuses what exists.

    XW_SERVER=http://scheduler:8080 brownie run scripts/setup_pool.py --network anvil

On a live network: CUMULUS_ORACLE_ADDRESS (the key that will finalize) and CUMULUS_WORKER_KEYS
(comma-separated worker keys); the deployer funds what the workers lack for their stake and
gas, and the app owner gets its grid account by signing the scheduler's challenge. Anything
missing is listed before any transaction.
"""

import os

from offchain_grid.errors import GridError
from oracle.artifacts import PROJECT_ROOT
from oracle.deployment import RLC_UNIT
from oracle.errors import OracleError
from scripts.helpers import account, checked_deployment, fail, rpc_address, w3, worker_accounts
from sdk.chain import Chain
from sdk.errors import SdkError
from sdk.pool_setup import Roles, Terms, set_up

VANITY_APP = PROJECT_ROOT / "apps" / "vanity" / "vanity.py"
VANITY_CALLBACK_GAS = 300_000


def main(trust: int = 3, app_price: int = 2 * RLC_UNIT, pool_price: int = 3 * RLC_UNIT,
         min_stake: int = 100 * RLC_UNIT, max_duration: int = 600, callback_gas_price: int = 1_000):
    """`pool_price` is per replica, `callback_gas_price` in nRLC per unit of callback gas."""
    scheduler = os.environ.get("XW_SERVER")
    if not scheduler:
        fail("set XW_SERVER to the pool's scheduler URL: the app is registered on the grid too")
    chain = Chain(w3(), checked_deployment(), rpc_address())
    roles = Roles(funder=account("deployer"), app_owner=account("app_owner"), pool_owner=account("pool_owner"),
                  workers=worker_accounts())
    terms = Terms(app_file=VANITY_APP, app_name="vanity", app_price=app_price, pool_price=pool_price,
                  owner_fee_bps=1_000, min_stake=min_stake, max_duration=max_duration,
                  callback_gas_price=callback_gas_price,
                  oracle=os.environ.get("CUMULUS_ORACLE_ADDRESS") or account("oracle").address, trust=trust,
                  callback_gas=VANITY_CALLBACK_GAS)
    try:
        set_up(chain, roles, terms, scheduler, save=chain.deployment.save)
    except (SdkError, OracleError, GridError) as exc:
        fail(str(exc).splitlines()[0])
    return chain.deployment
