"""Deploy RLC and the Hub, and record the addresses in deployments/<network>.json.

    brownie run scripts/deploy.py --network anvil
    CUMULUS_RLC_ADDRESS=0x... brownie run scripts/deploy.py --network cumulus-live   (existing token)

Run again, it reuses the contracts recorded for this chain instead of deploying new ones.
"""

import os

from oracle.deployment import DEPLOYMENTS_DIR, Deployment, deploy_all
from oracle.errors import OracleError
from scripts.helpers import account, check_own_chain, fail, is_local, network_name, rpc_address, w3


def main():
    check_own_chain()
    recorded = _recorded_here()
    if recorded:
        print(f"RLC {recorded.rlc}\nHub {recorded.hub}\nalready deployed on this chain (deployments/{network_name()}.json)")
        return recorded
    deployment = deploy_all(w3(), account("deployer"), network_name(), os.environ.get("CUMULUS_RLC_ADDRESS"))
    path = deployment.save()
    print(f"RLC {deployment.rlc}\nHub {deployment.hub}\nrecorded in {path.name}")
    return deployment


def _recorded_here() -> Deployment | None:
    """The deployment already recorded for this chain, if any. A live network's record of
    another chain is never overwritten; a local one's is (local chains restart)."""
    path = DEPLOYMENTS_DIR / f"{network_name()}.json"
    if not path.exists():
        return None
    recorded = Deployment.read(path)
    try:
        recorded.check(w3(), rpc_address())
    except OracleError as exc:
        if is_local():
            return None
        fail(f"{exc}; move {path.name} away to deploy anew on this chain")
    return recorded
