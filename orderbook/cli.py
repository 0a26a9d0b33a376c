"""`orderbook serve`: the market's order book for one Hub, over HTTP."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import requests
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from web3 import Web3

from oracle.deployment import Deployment
from oracle.errors import OracleError
from oracle.networks import rpc_url as rpc_url_of

from .db import DEFAULT_DB_URL


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """The market's order book: signed orders published, listed, and dropped once spent on chain."""


@main.command()
@click.option("--network", default="development", show_default=True, help="Network: its deployment file and address.")
@click.option("--rpc-url", envvar="CUMULUS_RPC_URL", help="JSON-RPC URL (overrides --network's host).")
@click.option("--deployment", "deployment_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Deployment file (default: deployments/<network>.json).")
@click.option("--db", "db_url", default=DEFAULT_DB_URL, show_default=True,
              help="SQLAlchemy URL: a SQLite file, or postgresql://user:pw@host/db.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=int)
@click.option("--confirmations", default=1, show_default=True, help="Blocks before a cancel or match is believed.")
@click.option("--poll-interval", default=1.0, show_default=True, help="Seconds between reads of the chain.")
@click.option("--max-per-signer", default=1_000, show_default=True, help="Orders one signer may have on the book.")
@click.option("--log-level", default="warning", show_default=True)
def serve(network, rpc_url, deployment_file, db_url, host, port, confirmations, poll_interval, max_per_signer,
          log_level):
    """Serve the book's HTTP API (OpenAPI at /openapi.json) for the deployment's Hub.

    \b
    Example:
        orderbook serve --network development --port 8090
        orderbook serve --network cumulus-live --db postgresql://book:secret@db.example/book --confirmations 2
    """
    import uvicorn

    try:
        from .api import Settings, create_app  # loads the Hub's ABI: compiles it if missing
        from .chain import ChainView

        deployment = Deployment.read(deployment_file) if deployment_file else Deployment.load(network)
        url = rpc_url_of(network, rpc_url)
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
        deployment.check(w3, url)
        settings = Settings(db_url=db_url, chain=ChainView(w3, deployment.hub), start_block=deployment.start_block,
                            confirmations=confirmations, poll_interval=poll_interval, max_per_signer=max_per_signer)
        app = create_app(settings)
    except (OracleError, SQLAlchemyError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from None
    except requests.RequestException as exc:
        raise click.ClickException(f"cannot reach the chain: {exc}") from None
    except ImportError as exc:
        raise click.ClickException(f"missing Python module {exc.name!r}: {exc}") from None
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    shown = make_url(db_url).render_as_string(hide_password=True)
    click.echo(f"order book of Hub {deployment.hub} on http://{host}:{port} (db {shown})", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), access_log=False)
