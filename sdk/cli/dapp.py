"""`cumulus dapp`: a new dapp from the template, and its deployment from source."""

from __future__ import annotations

from pathlib import Path

import click

from ..dapps import deploy as deploy_dapp
from ..dapps import write_new
from .common import TxProgress, chain_options, errors, json_option, key_options, report, say


@click.group()
def dapp():
    """Dapps: start one from the template, deploy one from its source.

    \\b
    Example:
        cumulus dapp new SumDapp
        cumulus dapp deploy contracts/dapps/SumDapp.sol --arg 2 --arg 1 --arg 1
    """


@dapp.command()
@errors
@click.argument("name")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              help="Folder to write into (default: the current one, e.g. the checkout).")
@json_option
def new(name, root, as_json):
    """Write a dapp contract (contracts/dapps/NAME.sol) and its grid app (apps/name/name.py).

    The template adds up the numbers its users send: change the app's computation and the
    contract's handling of the result. Nothing is overwritten.

    \\b
    Example:
        cumulus dapp new SumDapp
    """
    contract, app = write_new(name, root)
    report({"contract": str(contract), "app": str(app)}, as_json, f"contract {contract}", f"app      {app}")


@dapp.command()
@errors
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--arg", "args", multiple=True, help="A constructor argument after the Hub (repeatable, in order).")
@click.option("--name", help="The contract in SOURCE, and the name recorded (default: the file's name).")
@click.option("--new", "again", is_flag=True, help="Deploy again even if one is recorded under that name.")
@chain_options
@key_options
@json_option
def deploy(source, args, name, again, chain, account, as_json):
    """Compile SOURCE with this checkout's compiler and deploy it with (hub, ARG...); the
    address is recorded in the deployment file under its name.

    \\b
    Example:
        cumulus dapp deploy contracts/dapps/SumDapp.sol --arg 2 --arg 1 --arg 3    (app 2, pool 1, trust 3)
    """
    name = name or source.stem
    recorded = chain.deployment.dapps.get(name)
    if recorded and chain.w3.eth.get_code(recorded) and not again:
        say(f"{name} is already deployed at {recorded} (--new deploys another)")
        report({"name": name, "address": recorded, "reused": True}, as_json, recorded)
        return
    say(f"compiling {source} and deploying {name}")
    address = deploy_dapp(chain, account, source, list(args), name, on_wait=TxProgress())
    chain.deployment.dapps[name] = address
    chain.deployment.write(chain.deployment_path)
    say(f"{name} deployed at {address}, recorded in {chain.deployment_path}")
    report({"name": name, "address": address, "reused": False}, as_json, address)
