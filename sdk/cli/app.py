"""`cumulus app` and `cumulus dataset`: register on the grid and on chain in one step, show."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from offchain_grid.cli.config import config_path

from ..assets import owner_grid, register_app_everywhere, register_dataset_everywhere
from ..errors import SdkError
from ..present import readable
from ..units import parse_rlc
from .common import TxProgress, chain_options, errors, json_option, key_options, report, say


def grid_options(func):
    func = click.option("--scheduler", envvar="XW_SERVER",
                        help="The pool's scheduler URL (or $XW_SERVER, or xw's config file).")(func)
    return func


@click.group()
def app():
    """Applications: register one on the grid and on chain in one step, show one.

    \b
    Example:
        cumulus app register ./sum.py --name sum --price 1 --scheduler http://scheduler:8080
        cumulus app show 2
    """


@app.command("register")
@errors
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The app's name on the grid (recorded on chain as its uri).")
@click.option("--price", required=True, help="RLC paid to you for each task that runs it (e.g. 1.5).")
@grid_options
@chain_options
@key_options
@json_option
def register_app(file, name, price, scheduler, chain, account, as_json):
    """Send FILE to the grid and register it on chain with its sha256, owned by your key.

    Your grid account is the one bound to your address (`cumulus grid signup`; made here by
    signing the scheduler's challenge if you have none). A rerun reuses both registrations.

    \b
    Example:
        cumulus app register ./sum.py --name sum --price 1 --scheduler http://127.0.0.1:8080
    """
    url, token = _grid_access(scheduler)
    done = register_app_everywhere(chain, owner_grid(url, token, account), account, file, name, parse_rlc(price),
                                   on_wait=TxProgress())
    _report(done, account.address, as_json)


@click.group()
def dataset():
    """Datasets: register one on the grid and on chain in one step, show one.

    \b
    Example:
        cumulus dataset register ./prices.csv --price 0.5 --scheduler http://scheduler:8080
        cumulus dataset show 1
    """


@dataset.command("register")
@errors
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--price", required=True, help="RLC paid to you for each task that reads it.")
@grid_options
@chain_options
@key_options
@json_option
def register_dataset(file, price, scheduler, chain, account, as_json):
    """Upload FILE to the grid and register it on chain with its sha256, owned by your key.

    \b
    Example:
        cumulus dataset register ./prices.csv --price 0.5 --scheduler http://127.0.0.1:8080
    """
    url, token = _grid_access(scheduler)
    done = register_dataset_everywhere(chain, owner_grid(url, token, account), account, file, parse_rlc(price),
                                       on_wait=TxProgress())
    _report(done, account.address, as_json)


def _show(kind: str):
    @errors
    @click.argument("registry_id", type=int)
    @chain_options
    @json_option
    def show(registry_id, chain, as_json):
        record = chain.record("s_apps" if kind == "app" else "s_datasets", registry_id)
        if int(record["owner"], 16) == 0:
            raise SdkError(f"no {kind} {registry_id} on the Hub at {chain.deployment.hub}")
        data = {"id": registry_id, **{k: "0x" + v.hex() if isinstance(v, bytes) else v for k, v in record.items()}}
        report(data, as_json, f"{kind} {registry_id}", *(f"  {k}: {readable(k, v)}" for k, v in record.items()))

    show.__doc__ = f"""Show a registered {kind}: owner, price, checksum, grid reference.

    \\b
    Example:
        cumulus {kind} show 1
    """
    return show


app.command("show")(_show("app"))
dataset.command("show")(_show("dataset"))


def _grid_access(scheduler: str | None) -> tuple[str, str | None]:
    """The scheduler's URL and a token for it: $XW_TOKEN, else xw's config file when it names
    the same scheduler (or none is given), else none (the owner signs up)."""
    saved = {}
    if config_path().is_file():
        try:
            saved = json.loads(config_path().read_text())
        except ValueError:
            saved = {}
    url = scheduler or saved.get("server")
    if not url:
        raise SdkError("no scheduler: give --scheduler URL (or set $XW_SERVER)")
    token = os.environ.get("XW_TOKEN") or (saved.get("token") if saved.get("server") in (None, url) else None)
    return url, token


def _report(done, owner: str, as_json: bool) -> None:
    """The id alone on stdout (`APP=$(cumulus app register ...)`), the story on stderr."""
    say(f"grid: {done.kind} {done.grid_ref} {'found' if done.reused_on_grid else 'sent'}; chain: {done.kind} "
        f"{done.chain_id} {'found' if done.reused_on_chain else 'registered'} (sha256 {done.checksum}, owner {owner})")
    report({"kind": done.kind, "id": done.chain_id, "grid": done.grid_ref, "checksum": done.checksum, "owner": owner,
            "reused": done.reused_on_chain}, as_json, str(done.chain_id))
