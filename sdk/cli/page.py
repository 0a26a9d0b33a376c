"""`cumulus page`: serve a dapp's front end from this machine (the vanity dapp's), against any
network: the browser's own wallet (EIP-1193) signs; a dev account only where the node holds it
unlocked (a local chain)."""

from __future__ import annotations

import json

import click

from .common import chain_options, errors, json_option


@click.group()
def page():
    """A dapp's front end: its page, a read-only relay to the chain, the task's progress.

    \b
    Example:
        cumulus page serve --network cumulus-live --port 8088
    """


@page.command()
@errors
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=8088, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("--oracle", "oracle_url", help="The pool oracle's metrics port (oracle run --metrics-port), for the "
                                             "task's progress, e.g. http://127.0.0.1:9101.")
@click.option("--scheduler", "scheduler_url", help="The grid's scheduler, for the job's replicas.")
@click.option("--dev-account", help="A local chain's unlocked account to pay with when the browser has no wallet.")
@chain_options
@json_option
def serve(chain, host, port, oracle_url, scheduler_url, dev_account, as_json):
    """Serve the vanity dapp's page until Ctrl-C.

    \b
    Example:
        cumulus page serve --network cumulus-live --oracle http://pool.example.org:9101
    """
    from ..frontend.config import page_config
    from ..frontend.server import FrontEnd

    dashboard = f"{scheduler_url.rstrip('/')}/dashboard" if scheduler_url else None
    try:
        config = page_config(chain.deployment, dev_account=dev_account, dashboard=dashboard)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        front = FrontEnd(config, chain.url, oracle_url=oracle_url, scheduler_url=scheduler_url, host=host,
                         port=port).start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    if as_json:  # one line, then the server runs
        click.echo(json.dumps({"url": front.url, "dapp": config["dapp"], "chain_id": config["chainId"]}))
    else:
        click.echo(f"front end: {front.url}  (dapp {config['dapp']} on chain {config['chainId']}); Ctrl-C stops it")
    front.serve_until_stopped()
