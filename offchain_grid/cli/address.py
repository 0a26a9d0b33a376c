"""`xw prove-address`: a user proves it holds an Ethereum key, which becomes the owner address
of its apps and data (the oracle serves an on-chain app only if that address owns it on chain)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from eth_account import Account

from .config import client_from, connection_options
from .output import grid_errors, show

KEY_VARIABLE = "XW_PRIVATE_KEY"


@click.command("prove-address")
@click.option("--private-key-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"File holding the 0x-hex Ethereum key (or set {KEY_VARIABLE}).")
@connection_options
@grid_errors
def prove_address(private_key_file, server, token, as_json):
    """Prove you hold an Ethereum key: sign the scheduler's challenge with it.

    Register your app on chain from the same address: the oracle refuses a task whose on-chain
    app (or dataset) owner is not the proven address of the grid app's (or data's) owner.

    \b
    Example:
        XW_PRIVATE_KEY=0x... xw prove-address
        xw prove-address --private-key-file ~/.config/xw/eth.key --json
    """
    account = _account(private_key_file)
    proof = client_from(server, token).prove_address(account)
    show(proof, as_json, proof["address"])


def _account(path: Path | None):
    if path is not None:
        try:
            key = path.read_text().strip()
        except OSError as exc:
            raise click.ClickException(f"cannot read key file {path}: {exc.strerror}") from None
    else:
        key = os.environ.get(KEY_VARIABLE, "").strip()
        if not key:
            raise click.UsageError(f"give --private-key-file FILE or set {KEY_VARIABLE}")
    try:
        return Account.from_key(key)
    except (ValueError, TypeError):
        raise click.ClickException("not a private key (0x and 64 hex digits)") from None


COMMANDS = [prove_address]
