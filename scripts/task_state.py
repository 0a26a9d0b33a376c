"""Read a task's state, its settlement and the vanity dapp's answer, if any.

    brownie run scripts/task_state.py main 0x<task id> --network anvil
"""

from oracle.deployment import contract
from oracle.hub import TASK_STATUS
from scripts.helpers import checked_deployment, fail, w3
from sdk.present import readable


def main(task_id: str):
    web3 = w3()
    recorded = checked_deployment()
    try:
        raw = bytes.fromhex(task_id.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        fail(f"{task_id!r} is not a task id (0x and 64 hex digits)")
    hub = contract(web3, "Hub", recorded.hub)
    status = TASK_STATUS[hub.functions.taskStatus(raw).call()]
    print(f"task {task_id}: {status}")
    for name in ("TaskFinalized", "TaskClaimed", "TaskFailed"):
        for event in getattr(hub.events, name)().get_logs(from_block=recorded.start_block,
                                                          argument_filters={"taskId": raw}):
            print(f"{name} in block {event['blockNumber']}:")
            for key, value in event["args"].items():
                if key != "taskId":
                    print(f"  {key}: {readable(key, value)}")
    if recorded.vanity:
        found = contract(web3, "VanityAddress", recorded.vanity).functions.s_found(raw).call()
        if int(found, 16):
            print(f"vanity address found: {found}")
    return status

