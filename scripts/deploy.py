"""Deploy RLC and the Hub, and record the addresses in deployments/<network>.json.

    brownie run scripts/deploy.py --network anvil
    CUMULUS_RLC_ADDRESS=0x... brownie run scripts/deploy.py --network cumulus-live   (existing token)
"""

import os

from oracle.deployment import deploy_all
from scripts.helpers import account, network_name, w3


def main():
    deployment = deploy_all(w3(), account("deployer"), network_name(), os.environ.get("CUMULUS_RLC_ADDRESS"))
    path = deployment.save()
    print(f"RLC {deployment.rlc}\nHub {deployment.hub}\nrecorded in {path.name}")
    return deployment
