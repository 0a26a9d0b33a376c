"""`cumulus worker`: fund workers, stake in a pool, leave it, withdraw the stake, show one."""

from __future__ import annotations

from pathlib import Path

import click

from oracle.deployment import fund as send_funds
from oracle.deployment import transact

from ..errors import SdkError
from ..present import plain, readable
from ..units import format_rlc, parse_rlc
from .common import TxProgress, chain_options, errors, json_option, key_options, report, say
from .wallet import resolve_address


@click.group()
def worker():
    """Workers: fund them, stake in a pool, leave, withdraw the stake, show one.

    A worker stakes with its own key (the one `xw worker` signs results with). Amounts in RLC.

    \\b
    Example:
        cumulus worker fund 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc --rlc 100 --eth 0.05
        cumulus worker join 1 --stake 100
    """


@worker.command("fund")
@errors
@click.argument("addresses", nargs=-1, required=True)
@click.option("--rlc", "rlc_amount", default="0", show_default=True, help="RLC to send each address.")
@click.option("--eth", "eth_amount", default=0.0, show_default=True, help="ETH to send each address, for gas.")
@chain_options
@key_options
@json_option
def fund_workers(addresses, rlc_amount, eth_amount, chain, account, as_json):
    """Send RLC (for a stake) and ETH (for gas) from your key to each worker address.

    \\b
    Example:
        cumulus worker fund 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc 0x976EA74026E726554dB657fA54763abd0C3a0aa9 --rlc 100
    """
    nrlc, wei = parse_rlc(rlc_amount), int(eth_amount * 10**18)
    if not nrlc and not wei:
        raise SdkError("give --rlc or --eth")
    targets = [resolve_address(a, None) for a in addresses]
    have = chain.rlc.functions.balanceOf(account.address).call()
    if nrlc * len(targets) > have:
        raise SdkError(f"{account.address} holds {format_rlc(have)}, not the {format_rlc(nrlc * len(targets))} "
                       "to send; nothing was sent")
    for target in targets:
        send_funds(chain.w3, account, target, eth_wei=wei, rlc=nrlc, deployment=chain.deployment)
        say(f"sent {format_rlc(nrlc)} and {eth_amount:g} ETH to {target}")
    report({"funded": targets, "rlc_nrlc": nrlc, "eth_wei": wei}, as_json, *targets)


@worker.command()
@errors
@click.argument("pool_id", type=int)
@click.option("--stake", required=True, help="RLC to stake now (added to any stake already there).")
@chain_options
@key_options
@json_option
def join(pool_id, stake, chain, account, as_json):
    """Join POOL with a stake in RLC (approve, then joinPool); again to add to the stake.

    \\b
    Example:
        cumulus worker join 1 --stake 100
    """
    nrlc = parse_rlc(stake)
    progress = TxProgress()
    if nrlc:
        transact(chain.w3, account, chain.rlc.functions.approve(chain.hub.address, nrlc), on_wait=progress)
    transact(chain.w3, account, chain.hub.functions.joinPool(pool_id, nrlc), on_wait=progress)
    _show(chain, account.address, as_json)


@worker.command()
@errors
@chain_options
@key_options
@json_option
def leave(chain, account, as_json):
    """Leave your pool: the stake unlocks after the pool's maximum task duration.

    \\b
    Example:
        cumulus worker leave
    """
    transact(chain.w3, account, chain.hub.functions.leavePool(), on_wait=TxProgress())
    _show(chain, account.address, as_json)


@worker.command()
@errors
@chain_options
@key_options
@json_option
def withdraw(chain, account, as_json):
    """Take your stake back once it is unlocked (after leaving); earnings stay in your account.

    \\b
    Example:
        cumulus worker withdraw
    """
    before = chain.record("s_workers", account.address)
    transact(chain.w3, account, chain.hub.functions.withdrawStake(), on_wait=TxProgress())
    say(f"withdrew a stake of {format_rlc(before['stake'])}")
    _show(chain, account.address, as_json)


@worker.command()
@errors
@click.option("--address", help="Any worker address (default: the acting key's).")
@click.option("--keystore", type=click.Path(dir_okay=False, path_type=Path),
              help="Encrypted keystore of the worker (or $CUMULUS_KEYSTORE, or $CUMULUS_PRIVATE_KEY).")
@chain_options
@json_option
def show(address, keystore, chain, as_json):
    """Show a worker's pool, stake, earnings and reputation.

    \\b
    Example:
        cumulus worker show --address 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc
    """
    _show(chain, resolve_address(address, keystore), as_json)


def _show(chain, address: str, as_json: bool) -> None:
    record = chain.record("s_workers", address)
    report({"address": address, **plain(record)}, as_json, f"worker {address}",
           *(f"  {k}: {readable(k, v)}" for k, v in record.items()))
