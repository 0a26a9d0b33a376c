"""A task seen from outside the oracle: its request (from the TaskRequested event), its status
and how it was settled. The request is passed back to the Hub as the event gave it, whatever
fields the TaskRequest struct holds."""

from __future__ import annotations

import time
from dataclasses import dataclass

from oracle.hub import TASK_STATUS

from .chain import Chain
from .errors import SdkError

SETTLEMENTS = ("TaskFinalized", "TaskClaimed", "TaskFailed")


@dataclass
class Task:
    task_id: bytes
    status: str
    request: dict | None  # the TaskRequest struct, field by field; None if the request was never seen
    params: bytes
    requested_in: int | None  # block number
    settlement: dict | None  # {"event": name, "block": n, "tx": hash, **args}


def parse_task_id(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SdkError(f"{text!r} is not a task id (0x and 64 hex digits)")
    return raw


def load(chain: Chain, task_id: bytes) -> Task:
    hub = chain.hub
    status = TASK_STATUS[hub.functions.taskStatus(task_id).call()]
    since = chain.deployment.start_block
    requested = hub.events.TaskRequested().get_logs(from_block=since, argument_filters={"taskId": task_id})
    settlement = None
    for name in SETTLEMENTS:
        for log in getattr(hub.events, name)().get_logs(from_block=since, argument_filters={"taskId": task_id}):
            settlement = {"event": name, "block": log["blockNumber"], "tx": "0x" + bytes(log["transactionHash"]).hex(),
                          **{k: v for k, v in log["args"].items() if k != "taskId"}}
    if not requested and status == "None":
        raise SdkError(f"no task 0x{task_id.hex()} on the Hub at {chain.deployment.hub}")
    event = requested[-1] if requested else None
    return Task(task_id=task_id, status=status,
                request=dict(event["args"]["request"]) if event else None,
                params=bytes(event["args"]["params"]) if event else b"",
                requested_in=event["blockNumber"] if event else None, settlement=settlement)


def params_text(params: bytes) -> str:
    """The app's arguments as the requester wrote them (UTF-8), or hex when they are not text."""
    try:
        return params.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + params.hex()


def watch(chain: Chain, task_id: bytes, timeout: float, say, every: float = 5.0) -> Task:
    """Waits until the task is settled (or `timeout` seconds pass), with a line at each change
    of status and every `every` seconds; returns the task as last seen."""
    started, last, shown_at = time.monotonic(), None, 0.0
    while True:
        status = TASK_STATUS[chain.hub.functions.taskStatus(task_id).call()]
        waited = time.monotonic() - started
        if status != last or waited - shown_at >= every:
            say(f"[{waited:6.1f}s] block {chain.w3.eth.block_number}: task {status}")
            last, shown_at = status, waited
        if status not in ("None", "Requested"):
            return load(chain, task_id)
        if waited > timeout:
            raise SdkError(f"task 0x{task_id.hex()} is still {status} after {timeout:.0f} s "
                           f"(`cumulus task show 0x{task_id.hex()}` follows it later)")
        time.sleep(1.0)
