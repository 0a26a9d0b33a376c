"""What a dapp's page needs to talk to the chain without an Ethereum library: addresses, and the
selectors, event topics and custom errors of the contracts it calls, computed here from the ABIs."""

from __future__ import annotations

from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector
from web3 import Web3

from oracle import artifacts
from oracle.deployment import Deployment
from oracle.hub import TASK_STATUS

CONTRACTS = ("RLC", "Hub", "VanityAddress")
FUNCTIONS = {"RLC": ("approveAndCall", "balanceOf"), "Hub": ("taskStatus",), "VanityAddress": ("price", "s_found")}
EVENTS = {"VanityAddress": ("VanityRequested", "VanityFound", "VanityRejected"),
          "Hub": ("TaskRequested", "TaskFinalized", "TaskFailed", "TaskClaimed")}
# what the demo's requests deploy at the found address, unless the user gives another init code hash
DEFAULT_INIT_CODE_HASH = "0x" + Web3.keccak(text="cumulus demo contract").hex().removeprefix("0x")


def page_config(deployment: Deployment, dev_account: str | None = None, dashboard: str | None = None) -> dict:
    """The page's /config.json. `dev_account`: an account the node holds unlocked (a local dev chain),
    used when the browser has no wallet of its own."""
    if not deployment.vanity:
        raise ValueError(f"the {deployment.network!r} deployment has no vanity dapp")
    abis = {name: artifacts.abi(name) for name in CONTRACTS}
    functions = {f"{contract}.{name}": "0x" + function_abi_to_4byte_selector(_entry(abis[contract], "function",
                                                                                      name)).hex()
                 for contract, names in FUNCTIONS.items() for name in names}
    events = {name: "0x" + event_abi_to_log_topic(_entry(abis[contract], "event", name)).hex()
              for contract, names in EVENTS.items() for name in names}
    errors = {}
    for abi in abis.values():
        for entry in abi:
            if entry.get("type") == "error":
                errors["0x" + function_abi_to_4byte_selector(entry).hex()] = {
                    "name": entry["name"], "inputs": [{"name": i["name"], "type": i["type"]} for i in entry["inputs"]]}
    return {
        "chainId": deployment.chain_id, "rlc": deployment.rlc, "hub": deployment.hub, "dapp": deployment.vanity,
        "decimals": 9, "devAccount": Web3.to_checksum_address(dev_account) if dev_account else None,
        "defaultInitCodeHash": DEFAULT_INIT_CODE_HASH, "dashboard": dashboard, "functions": functions,
        "events": events, "errors": errors, "taskStatuses": TASK_STATUS,
    }


def _entry(abi: list, kind: str, name: str) -> dict:
    return next(e for e in abi if e.get("type") == kind and e.get("name") == name)
