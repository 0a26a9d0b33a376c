"""`cumulus account`: your balance in the Hub's escrow, which pays requests and receives earnings."""

from __future__ import annotations

from pathlib import Path

import click
from eth_utils import to_checksum_address

from oracle.deployment import transact

from ..units import format_rlc, parse_rlc
from .common import TxProgress, chain_options, errors, json_option, key_options, report, say
from .wallet import resolve_address


@click.group()
def account():
    """Your escrow balance in the Hub: deposit, withdraw, show.

    Amounts are in RLC (9 decimals; "2.5" or "2500000000 nRLC"). Earnings of app and dataset
    owners and of pool owners land here; requests can be paid from it.

    \b
    Example:
        cumulus account show
        cumulus account deposit 20
        cumulus account withdraw 2.5
    """


@account.command()
@errors
@click.option("--address", help="Any address (default: the acting key's).")
@click.option("--keystore", type=click.Path(dir_okay=False, path_type=Path),
              help="Encrypted keystore of the key to show (or $CUMULUS_KEYSTORE, or $CUMULUS_PRIVATE_KEY).")
@chain_options
@json_option
def show(address, keystore, chain, as_json):
    """Show an address's escrow balance in the Hub.

    \b
    Example:
        cumulus account show --address 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
    """
    address = resolve_address(address, keystore)
    balance = chain.hub.functions.balanceOf(address).call()
    report({"address": address, "balance_nrlc": balance}, as_json, f"{address}  {format_rlc(balance)} in escrow")


@account.command()
@errors
@click.argument("amount")
@chain_options
@key_options
@json_option
def deposit(amount, chain, account, as_json):
    """Move RLC from your wallet into your escrow balance (approve, then deposit).

    \b
    Example:
        cumulus account deposit 20
    """
    nrlc = parse_rlc(amount)
    progress = TxProgress()
    say(f"approving the Hub for {format_rlc(nrlc)}, then depositing")
    transact(chain.w3, account, chain.rlc.functions.approve(chain.hub.address, nrlc), on_wait=progress)
    receipt = transact(chain.w3, account, chain.hub.functions.deposit(nrlc), on_wait=progress)
    balance = chain.hub.functions.balanceOf(account.address).call()
    report({"address": account.address, "deposited_nrlc": nrlc, "balance_nrlc": balance,
            "tx": receipt["transactionHash"].hex()}, as_json,
           f"deposited {format_rlc(nrlc)}: escrow balance {format_rlc(balance)}")


@account.command()
@errors
@click.argument("amount")
@chain_options
@key_options
@json_option
def withdraw(amount, chain, account, as_json):
    """Move RLC from your escrow balance back to your wallet.

    \b
    Example:
        cumulus account withdraw 2.5
    """
    nrlc = parse_rlc(amount)
    receipt = transact(chain.w3, account, chain.hub.functions.withdraw(nrlc), on_wait=TxProgress())
    balance = chain.hub.functions.balanceOf(account.address).call()
    report({"address": to_checksum_address(account.address), "withdrawn_nrlc": nrlc, "balance_nrlc": balance,
            "tx": receipt["transactionHash"].hex()}, as_json,
           f"withdrew {format_rlc(nrlc)}: escrow balance {format_rlc(balance)}")
