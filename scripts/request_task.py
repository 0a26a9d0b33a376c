"""As an end user: pay RLC with one approveAndCall and ask the vanity dapp for a prefix.

    brownie run scripts/request_task.py main c0de --network anvil
"""

from eth_abi import encode
from web3 import Web3
from web3.logs import DISCARD

from oracle.deployment import RLC_UNIT, contract, fund, transact
from oracle.hub import dapp_spec
from scripts.helpers import account, checked_deployment, is_local, w3


def main(prefix: str = "c0de"):
    web3 = w3()
    deployment = checked_deployment()
    user = account("user")
    hub, rlc = contract(web3, "Hub", deployment.hub), contract(web3, "RLC", deployment.rlc)
    vanity = contract(web3, "VanityAddress", deployment.vanity)
    price = hub.functions.quote(dapp_spec(vanity)).call()
    if is_local() and rlc.functions.balanceOf(user.address).call() < price:
        fund(web3, account("deployer"), user.address, rlc=100 * RLC_UNIT, deployment=deployment)
    data = encode(["string", "address", "bytes32"], [str(prefix), user.address, Web3.keccak(text="my contract")])
    receipt = transact(web3, user, rlc.functions.approveAndCall(deployment.vanity, price, data))
    [event] = vanity.events.VanityRequested().process_receipt(receipt, errors=DISCARD)
    task_id = "0x" + bytes(event["args"]["taskId"]).hex()
    print(f"task {task_id} requested for prefix {prefix}: paid {price / RLC_UNIT:g} RLC, {receipt['gasUsed']:,} gas")
    return task_id
