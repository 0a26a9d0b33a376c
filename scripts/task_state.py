"""Read a task's state (and the vanity dapp's answer, if any).

    brownie run scripts/task_state.py main 0x<task id> --network anvil
"""

from oracle.deployment import Deployment, contract
from oracle.hub import TASK_STATUS
from scripts.helpers import network_name, w3


def main(task_id: str):
    web3 = w3()
    deployment = Deployment.load(network_name())
    hub = contract(web3, "Hub", deployment.hub)
    raw = bytes.fromhex(task_id.removeprefix("0x"))
    status = TASK_STATUS[hub.functions.taskStatus(raw).call()]
    print(f"task {task_id}: {status}")
    if deployment.vanity:
        found = contract(web3, "VanityAddress", deployment.vanity).functions.s_found(raw).call()
        if int(found, 16):
            print(f"vanity address found: {found}")
    for name in ("TaskFinalized", "TaskClaimed", "TaskFailed"):
        for event in getattr(hub.events, name)().get_logs(from_block=deployment.start_block,
                                                          argument_filters={"taskId": raw}):
            print(f"{name} in block {event['blockNumber']}: {dict(event['args'])}")
    return status
