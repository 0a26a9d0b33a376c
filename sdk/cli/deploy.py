"""`cumulus deploy`: RLC (or an existing token) and the Hub, recorded in the deployment file."""

from __future__ import annotations

from pathlib import Path

import click

from oracle.deployment import DEPLOYMENTS_DIR, Deployment, deploy_all
from oracle.errors import OracleError
from oracle.networks import rpc_url as configured_url

from ..chain import reach
from .common import errors, json_option, key_options, report, say


@click.command()
@errors
@click.option("--network", envvar="CUMULUS_NETWORK", default="development", show_default=True,
              help="Network name: the deployment file deployments/<network>.json (or $CUMULUS_NETWORK).")
@click.option("--rpc-url", envvar="CUMULUS_RPC_URL", help="The chain's JSON-RPC URL (or $CUMULUS_RPC_URL).")
@click.option("--deployment", "deployment_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Deployment file to write (default: deployments/<network>.json).")
@click.option("--rlc", "rlc_address", envvar="CUMULUS_RLC_ADDRESS",
              help="Use this RLC token instead of deploying one (or $CUMULUS_RLC_ADDRESS).")
@key_options
@json_option
def deploy(network, rpc_url, deployment_file, rlc_address, account, as_json):
    """Deploy RLC and the Hub with your key and record them; a rerun reuses what it recorded.

    A deployment file already recorded for another chain is never overwritten: move it away
    to deploy anew.

    \b
    Example:
        cumulus deploy --network live --keystore operator.json
    """
    url = configured_url(network, rpc_url)
    w3 = reach(url)
    path = deployment_file or DEPLOYMENTS_DIR / f"{network}.json"
    if path.exists():
        recorded = Deployment.read(path)
        try:
            recorded.check(w3, url)
        except OracleError as exc:
            raise OracleError(f"{exc}; move {path} away to deploy anew on this chain") from None
        report(_describe(recorded, path, reused=True), as_json,
               f"RLC {recorded.rlc}", f"Hub {recorded.hub}", f"already deployed on this chain ({path})")
        return
    say(f"deploying {'the Hub' if rlc_address else 'RLC and the Hub'} on chain {w3.eth.chain_id} at {url}")
    deployment = deploy_all(w3, account, network, rlc_address)
    deployment.write(path)
    report(_describe(deployment, path, reused=False), as_json,
           f"RLC {deployment.rlc}", f"Hub {deployment.hub}", f"recorded in {path}")


def _describe(deployment: Deployment, path: Path, reused: bool) -> dict:
    return {"rlc": deployment.rlc, "hub": deployment.hub, "chain_id": deployment.chain_id,
            "start_block": deployment.start_block, "deployment_file": str(path), "reused": reused}

