"""`cumulus grid`: your account on a pool's scheduler, obtained with your Ethereum key."""

from __future__ import annotations

import json
import os

import click

from offchain_grid.cli.config import config_path
from offchain_grid.client import GridClient

from .common import errors, json_option, key_options, report


@click.group()
def grid():
    """Your account on a pool's grid scheduler.

    \b
    Example:
        cumulus grid signup --scheduler http://scheduler:8080 --save
    """


@grid.command()
@errors
@click.option("--scheduler", required=True, envvar="XW_SERVER", help="Scheduler URL (or $XW_SERVER).")
@click.option("--save", is_flag=True, help="Write the scheduler and token to xw's config file, for `xw` and `cumulus`.")
@key_options
@json_option
def signup(scheduler, save, account, as_json):
    """Get a grid account by signing the scheduler's challenge with your key (as workers log in).

    The account is named after your address and bound to it, so the pool's oracle can tell
    that an app on the grid and an app on chain have the same owner. Signing up again gives a
    new token (the old one stops working).

    \b
    Example:
        cumulus grid signup --scheduler http://127.0.0.1:8080 --keystore me.json --save
    """
    user = GridClient(scheduler, None).sign_up(account)
    saved = None
    if save:
        saved = config_path()
        saved.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds a token
        with os.fdopen(fd, "w") as handle:
            json.dump({"server": scheduler, "token": user["token"]}, handle, indent=2)
    report({**user, "saved_to": str(saved) if saved else None}, as_json,
           user["token"], *([f"saved with the scheduler's URL in {saved}"] if saved else []))
