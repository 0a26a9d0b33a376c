"""`cumulus wallet`: the acting key itself (create one, show what it holds)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from eth_utils import is_address, to_checksum_address

from ..errors import SdkError
from ..keys import PASSWORD_VARIABLE, create_keystore, load_account
from ..units import format_rlc
from .common import chain_options, errors, json_option, report


@click.group()
def wallet():
    """Your key: create an encrypted keystore, show its ETH and RLC.

    \b
    Example:
        cumulus wallet create --keystore ~/.cumulus/me.json
        cumulus wallet show --keystore ~/.cumulus/me.json --network live
    """


@wallet.command()
@errors
@click.option("--keystore", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the new encrypted keystore (never over an existing file).")
@click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File holding the password (or $CUMULUS_KEYSTORE_PASSWORD, or asked twice).")
@json_option
def create(keystore, password_file, as_json):
    """Create a new key, stored encrypted in the standard Ethereum keystore format.

    \b
    Example:
        cumulus wallet create --keystore ~/.cumulus/worker1.json
    """
    if password_file:
        password = password_file.read_text().rstrip("\n")
    elif os.environ.get(PASSWORD_VARIABLE):
        password = os.environ[PASSWORD_VARIABLE]
    else:
        password = click.prompt("password for the new keystore", hide_input=True, confirmation_prompt=True)
    account = create_keystore(keystore, password)
    report({"address": account.address, "keystore": str(keystore)}, as_json,
           f"{account.address}  (keystore {keystore})")


@wallet.command()
@errors
@click.option("--address", help="Any address (default: the acting key's).")
@click.option("--keystore", type=click.Path(dir_okay=False, path_type=Path),
              help="Encrypted keystore of the key to show (or $CUMULUS_KEYSTORE, or $CUMULUS_PRIVATE_KEY).")
@chain_options
@json_option
def show(address, keystore, chain, as_json):
    """Show an address's ETH (for gas) and RLC (its own tokens, outside the Hub's escrow).

    \b
    Example:
        cumulus wallet show --address 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955
    """
    address = resolve_address(address, keystore)
    eth = chain.w3.eth.get_balance(address)
    rlc = chain.rlc.functions.balanceOf(address).call()
    report({"address": address, "eth_wei": eth, "rlc_nrlc": rlc}, as_json,
           f"address {address}", f"ETH     {eth / 10**18:g}", f"RLC     {format_rlc(rlc)}")


def resolve_address(address: str | None, keystore: Path | None) -> str:
    """An address given on the command line, else the acting key's."""
    if address:
        if not is_address(address):
            raise SdkError(f"{address!r} is not an Ethereum address")
        return to_checksum_address(address)
    return load_account(keystore).address
