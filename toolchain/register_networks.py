"""Register the `cumulus-live` brownie network: any live chain, reached at $CUMULUS_RPC_URL.

Brownie keeps networks in the user's own configuration, not in the project, so this runs at
set-up. The URL stays a variable (brownie expands it when connecting): nothing secret is
written down. The chain id only names brownie's own deployment folders.
"""

import subprocess
import sys
from pathlib import Path

NETWORK_ID = "cumulus-live"
BROWNIE = str(Path(sys.executable).with_name("brownie"))


def registered() -> bool:
    out = subprocess.run([BROWNIE, "networks", "list"], capture_output=True, text=True, check=True).stdout
    return NETWORK_ID in out


def register() -> str:
    if registered():
        return f"brownie network {NETWORK_ID}: already registered"
    subprocess.run(
        [BROWNIE, "networks", "add", "Ethereum", NETWORK_ID, "host=$CUMULUS_RPC_URL", "chainid=1"],
        capture_output=True, text=True, check=True,
    )
    return f"brownie network {NETWORK_ID}: registered (RPC URL from $CUMULUS_RPC_URL)"


if __name__ == "__main__":
    print(register())
