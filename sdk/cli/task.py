"""`cumulus task`: request a computation, follow it, read its result, claim a refund."""

from __future__ import annotations

import click

from oracle.deployment import transact
from orderbook.client import BookClient

from ..errors import SdkError
from ..market import request_best
from ..present import plain, readable
from ..requests import checked_params, request_from_hub, request_through_dapp, spec_for
from ..tasks import load, params_text, parse_task_id, watch
from ..units import format_rlc, parse_rlc
from .common import TxProgress, chain_options, errors, json_option, key_options, report, say


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
@click.option("--params", default="", help="The app's arguments, as a shell line (e.g. \"--size 3 'two words'\").")
@click.option("--dapp", help="Request through this dapp (a name `cumulus dapp deploy` recorded, or an address): "
                             "one approveAndCall, the dapp builds the request.")
@click.option("--app", type=int, help="App id (default: the deployment's app).")
@click.option("--dataset", type=int, default=0, show_default=True, help="Dataset id, 0 for none.")
@click.option("--pool", type=int, help="Pool id (default: the deployment's pool).")
@click.option("--trust", type=int, default=1, show_default=True, help="Workers that must agree on the result.")
@click.option("--min-stake", default="0", show_default=True, help="Each signer's least stake, in RLC.")
@click.option("--min-score", type=int, default=0, show_default=True, help="Each signer's least reputation.")
@click.option("--callback", help="Contract to call back with the result (none by default).")
@click.option("--callback-gas", type=int, default=0, show_default=True, help="Gas the callback gets.")
@click.option("--duration", type=int, default=0, show_default=True, help="Seconds to the deadline, 0 for the pool's most.")
@click.option("--max-price", help="The most you pay, in RLC (default: the price quoted now).")
@click.option("--best", is_flag=True, help="Match the order book's cheapest compatible app, dataset and pool "
                                          "orders (any pool unless --pool) instead of the standing prices.")
@click.option("--book", "book_url", envvar="CUMULUS_ORDER_BOOK", default="http://127.0.0.1:8090", show_default=True,
              help="The order book --best reads (or $CUMULUS_ORDER_BOOK).")
@click.option("--watch", "watch_", is_flag=True, help="Wait until the task is settled, showing its progress.")
@click.option("--timeout", default=900.0, show_default=True, help="Seconds --watch waits at most.")
@chain_options
@key_options
@json_option
def request(params, dapp, app, dataset, pool, trust, min_stake, min_score, callback, callback_gas, duration,
            max_price, best, book_url, watch_, timeout, chain, account, as_json):
    """Pay for a task: straight to the Hub, or through a dapp; prints the task id.

    The Hub is paid from your escrow balance when it covers the price, else from your RLC
    (approved in the same step). PARAMS become the app's arguments: UTF-8 text split into
    words as a POSIX shell splits them (quotes group, backslashes escape).

    \b
    Example:
        cumulus task request --params "3 4 5" --trust 3 --watch
        cumulus task request --dapp SumDapp --params "3 4 5" --watch
        cumulus task request --best --params "3 4 5" --trust 3 --max-price 12 --watch
    """
    data = checked_params(params)
    limit = parse_rlc(max_price) if max_price else None
    progress = TxProgress()
    if dapp and best:
        raise SdkError("--best matches orders on the Hub; a dapp (--dapp) builds its own request")
    if dapp:
        address = chain.deployment.dapps.get(dapp, dapp)
        if not chain.w3.is_address(address):
            raise SdkError(f"no dapp {dapp!r} in the deployment file, and it is not an address")
        task_id, receipt = request_through_dapp(chain, account, chain.w3.to_checksum_address(address), data, limit,
                                                on_wait=progress)
    elif best:
        app = app or chain.deployment.app
        if not app:
            raise SdkError("give --app (the deployment file records none)")
        spec = spec_for(chain, app=app, dataset=dataset, pool=pool or 0, trust=trust, minStake=parse_rlc(min_stake),
                        minScore=min_score, callbackGasLimit=callback_gas, duration=duration,
                        callback=chain.w3.to_checksum_address(callback) if callback else "0x" + "00" * 20,
                        params=data)
        task_id, receipt, _price = request_best(chain, account, BookClient(book_url), spec, limit, on_wait=progress)
    else:
        app, pool = app or chain.deployment.app, pool or chain.deployment.pool
        if not app or not pool:
            raise SdkError("give --app and --pool (the deployment file records neither)")
        spec = spec_for(chain, app=app, dataset=dataset, pool=pool, trust=trust, minStake=parse_rlc(min_stake),
                        minScore=min_score, callbackGasLimit=callback_gas, duration=duration,
                        callback=chain.w3.to_checksum_address(callback) if callback else "0x" + "00" * 20,
                        params=data)
        task_id, receipt = request_from_hub(chain, account, spec, limit, on_wait=progress)
    paid = load(chain, task_id).request or {}
    price = sum(v for k, v in paid.items() if k in ("appPrice", "datasetPrice", "poolPrice", "workerPay", "poolFee"))
    say(f"task 0x{task_id.hex()} requested in block {receipt['blockNumber']}: {format_rlc(price)}, "
        f"{receipt['gasUsed']:,} gas")
    if watch_:
        settled(watch(chain, task_id, timeout, say), as_json)
    else:
        report({"task_id": "0x" + task_id.hex(), "block": receipt["blockNumber"], "price_nrlc": price}, as_json,
               "0x" + task_id.hex())


@task.command()
@errors
@click.argument("task_id")
@click.option("--watch", "watch_", is_flag=True, help="Wait until the task is settled, showing its progress.")
@click.option("--timeout", default=900.0, show_default=True, help="Seconds --watch waits at most.")
@chain_options
@json_option
def show(task_id, watch_, timeout, chain, as_json):
    """Show a task: its status, its request and how it was settled.

    \b
    Example:
        cumulus task show 0x7a7a3979fdaac0354e5a3f4f5c8c9f7a2b8e3c1d4f6a7b8c9d0e1f2a3b4c5d6e --watch
    """
    raw = parse_task_id(task_id)
    if watch_:
        settled(watch(chain, raw, timeout, say), as_json)
    else:
        show_task(load(chain, raw), as_json)


def settled(found, as_json: bool) -> None:
    """Shows a task --watch saw settled; the exit code says whether it was served (0) or
    refunded (1), as a command's exit code carries its outcome."""
    show_task(found, as_json)
    if found.status != "Finalized":
        raise click.exceptions.Exit(1)


def show_task(found, as_json: bool) -> None:
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
