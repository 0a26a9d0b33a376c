"""What every `cumulus` command shares: the chain and key options, output for people or
scripts (--json), progress while a transaction is mined, and errors as one line."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click
import requests
from web3.exceptions import Web3Exception

from offchain_grid.errors import GridError
from oracle.errors import OracleError

from ..chain import connect
from ..errors import SdkError
from ..keys import load_account


def chain_options(func):
    """--network, --rpc-url and --deployment; the command receives `chain`, already checked."""

    @functools.wraps(func)
    def wrapper(*args, network, rpc_url, deployment_file, **kwargs):
        return func(*args, chain=connect(network, rpc_url, deployment_file), **kwargs)

    wrapper = click.option("--deployment", "deployment_file", type=click.Path(dir_okay=False, path_type=Path),
                           help="Deployment file (default: deployments/<network>.json).")(wrapper)
    wrapper = click.option("--rpc-url", envvar="CUMULUS_RPC_URL",
                           help="The chain's JSON-RPC URL (or $CUMULUS_RPC_URL; default: the network's).")(wrapper)
    wrapper = click.option("--network", envvar="CUMULUS_NETWORK", default="development", show_default=True,
                           help="Network name: its deployment file and brownie address (or $CUMULUS_NETWORK).")(wrapper)
    return wrapper


def key_options(func):
    """--keystore and --password-file; the command receives `account`."""

    @functools.wraps(func)
    def wrapper(*args, keystore, password_file, **kwargs):
        password = _read_password(password_file) if password_file else None
        return func(*args, account=load_account(keystore, password, ask_password=_prompt), **kwargs)

    wrapper = click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path),
                           help="File holding the keystore's password (or $CUMULUS_KEYSTORE_PASSWORD).")(wrapper)
    wrapper = click.option("--keystore", type=click.Path(dir_okay=False, path_type=Path),
                           help="Encrypted keystore JSON file of the acting key (or $CUMULUS_KEYSTORE; "
                                "else the key in $CUMULUS_PRIVATE_KEY).")(wrapper)
    return wrapper


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def report(data: dict | list, as_json: bool, *lines: str) -> None:
    """JSON for scripts, or the lines a person reads."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        for line in lines:
            click.echo(line)


def say(message: str) -> None:
    """Progress, on stderr so that stdout stays the answer (and valid JSON with --json)."""
    click.echo(message, err=True)


class TxProgress:
    """`on_wait` for transactions: a line once one has waited 2 s, then every 5 s."""

    def __init__(self, first: float = 2.0, every: float = 5.0):
        self.first, self.every, self._shown = first, every, {}

    def __call__(self, name: str, tx_hash: str, waited: float) -> None:
        last = self._shown.get(tx_hash)
        if (last is None and waited >= self.first) or (last is not None and waited - last >= self.every):
            say(f"  waiting for {name} (tx {tx_hash[:12]}...) to be mined: {waited:.0f} s")
            self._shown[tx_hash] = waited


def errors(func):
    """Every failure a user can meet becomes one line and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (SdkError, OracleError, GridError) as exc:
            raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        except requests.RequestException as exc:
            raise click.ClickException(f"cannot reach the chain or the scheduler: {exc}") from None
        except Web3Exception as exc:
            raise click.ClickException(f"the chain refused: {str(exc).splitlines()[0]}") from None
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)) from None

    return wrapper


def _read_password(path: Path) -> str:
    try:
        return path.read_text().rstrip("\n")
    except OSError as exc:
        raise SdkError(f"cannot read password file {path}: {exc.strerror}") from None


def _prompt(keystore: Path) -> str:
    if not sys.stdin.isatty():
        raise SdkError(f"keystore {keystore} needs its password: set $CUMULUS_KEYSTORE_PASSWORD or --password-file")
    return click.prompt(f"password of {keystore}", hide_input=True)

