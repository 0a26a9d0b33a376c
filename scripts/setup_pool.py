"""Register the vanity app and a pool, stake the workers, deploy the VanityAddress dapp.

    brownie run scripts/setup_pool.py --network anvil
On a live network: CUMULUS_ORACLE_ADDRESS (the key that will finalize) and CUMULUS_WORKER_KEYS
(comma-separated worker keys, each holding RLC for its stake and ETH for gas).
"""

import hashlib
import os

from oracle.artifacts import PROJECT_ROOT
from oracle.deployment import RLC_UNIT, deploy_contract, fund, join_pool, register_app, register_pool
from scripts.helpers import account, checked_deployment, is_local, w3, worker_accounts

VANITY_APP = PROJECT_ROOT / "apps" / "vanity" / "vanity.py"


def main(trust: int = 3, app_price: int = 2 * RLC_UNIT, pool_price: int = 9 * RLC_UNIT,
         min_stake: int = 100 * RLC_UNIT, max_duration: int = 600):
    web3 = w3()
    deployment = checked_deployment()
    checksum = hashlib.sha256(VANITY_APP.read_bytes()).hexdigest()
    deployment.app = register_app(web3, account("app_owner"), deployment, app_price, checksum, "vanity")
    oracle = os.environ.get("CUMULUS_ORACLE_ADDRESS") or account("oracle").address
    deployment.pool = register_pool(web3, account("pool_owner"), deployment, price=pool_price, oracle=oracle,
                                    owner_fee_bps=1_000, min_stake=min_stake, max_duration=max_duration)
    for worker in worker_accounts():
        if is_local():
            fund(web3, account("deployer"), worker.address, rlc=min_stake, deployment=deployment)
        join_pool(web3, worker, deployment, deployment.pool, min_stake)
        print(f"worker {worker.address} staked {min_stake / RLC_UNIT:g} RLC in pool {deployment.pool}")
    vanity = deploy_contract(web3, account("deployer"), "VanityAddress", deployment.hub, deployment.app,
                             deployment.pool, trust, 300_000)
    deployment.vanity = vanity.address
    deployment.save()
    print(f"app {deployment.app} (vanity, sha256 {checksum[:12]}...), pool {deployment.pool} (oracle {oracle}),"
          f" VanityAddress {vanity.address}")
    return deployment
