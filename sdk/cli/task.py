"""`cumulus task`: request a computation, follow it, read its result, claim a refund."""

from __future__ import annotations

import click

from oracle.deployment import transact

from ..present import plain, readable
from ..tasks import load, params_text, parse_task_id
from .common import TxProgress, chain_options, errors, json_option, key_options, report


@click.group()
def task():
    """Tasks: request one, show one, claim the refund of one nobody served.

    \b
    Example:
        cumulus task show 0x7a7a3979fdaac035...
        cumulus task claim 0x7a7a3979fdaac035...
    """


@task.command()
@errors
@click.argument("task_id")
@chain_options
@json_option
def show(task_id, chain, as_json):
    """Show a task: its status, its request and how it was settled.

    \b
    Example:
        cumulus task show 0x7a7a3979fdaac0354e5a3f4f5c8c9f7a2b8e3c1d4f6a7b8c9d0e1f2a3b4c5d6e
    """
    found = load(chain, parse_task_id(task_id))
    data = {"task_id": "0x" + found.task_id.hex(), "status": found.status, "requested_in_block": found.requested_in,
            "params": params_text(found.params), "request": plain(found.request), "settlement": plain(found.settlement)}
    lines = [f"task 0x{found.task_id.hex()}: {found.status}"]
    if found.request:
        lines.append(f"requested in block {found.requested_in}, arguments {params_text(found.params)!r}")
        lines += [f"  {key}: {readable(key, value)}" for key, value in found.request.items()]
    if found.settlement:
        settled = found.settlement
        lines.append(f"{settled['event']} in block {settled['block']} (tx {settled['tx']})")
        lines += [f"  {key}: {readable(key, value)}" for key, value in settled.items()
                  if key not in ("event", "block", "tx")]
    report(data, as_json, *lines)


@task.command()
@errors
@click.argument("task_id")
@chain_options
@key_options
@json_option
def claim(task_id, chain, account, as_json):
    """Refund a task nobody served before its deadline (anyone may send it; the refund goes
    to the task's refund address).

    \b
    Example:
        cumulus task claim 0x7a7a3979fdaac0354e5a3f4f5c8c9f7a2b8e3c1d4f6a7b8c9d0e1f2a3b4c5d6e
    """
    found = load(chain, parse_task_id(task_id))
    if found.status != "Requested":
        raise click.ClickException(f"task {task_id} is {found.status}: there is nothing to claim")
    receipt = transact(chain.w3, account, chain.hub.functions.claim(found.request), on_wait=TxProgress())
    claimed = chain.hub.events.TaskClaimed().process_receipt(receipt)[0]["args"]
    report({"task_id": task_id, "refund_to": claimed["refundTo"], "amount_nrlc": claimed["amount"],
            "tx": receipt["transactionHash"].hex()}, as_json,
           f"claimed: {readable('amount', claimed['amount'])} refunded to {claimed['refundTo']}")
