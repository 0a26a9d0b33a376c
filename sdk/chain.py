"""A deployment and the chain it was made on, checked before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from web3 import Web3
from web3.contract import Contract

from oracle.deployment import DEPLOYMENTS_DIR, Deployment, contract
from oracle.networks import rpc_url as configured_url

from .errors import SdkError


@dataclass
class Chain:
    w3: Web3
    deployment: Deployment
    url: str
    deployment_path: Path | None = None  # where the deployment is saved when it changes

    def contract(self, name: str, address: str) -> Contract:
        return contract(self.w3, name, address)

    @property
    def hub(self) -> Contract:
        return contract(self.w3, "Hub", self.deployment.hub)

    @property
    def rlc(self) -> Contract:
        return contract(self.w3, "RLC", self.deployment.rlc)

    def record(self, getter: str, *args) -> dict:
        """A Hub getter's struct by field name (the ABI's names), not by position."""
        function = getattr(self.hub.functions, getter)
        names = [output["name"] for output in function.abi["outputs"]]
        values = function(*args).call()
        return dict(zip(names, values if isinstance(values, (list, tuple)) else [values]))

    def checked(self) -> "Chain":
        self.deployment.check(self.w3, self.url)
        return self


def connect(network: str, rpc_url: str | None = None, deployment_file: Path | None = None) -> Chain:
    """The deployment of `network` (or `deployment_file`) on the chain at `rpc_url` (or the
    network's configured address), once that chain is shown to be the one it was made on."""
    path = deployment_file or DEPLOYMENTS_DIR / f"{network}.json"
    deployment = Deployment.read(path) if deployment_file else Deployment.load(network)
    url = configured_url(network, rpc_url)
    return Chain(reach(url), deployment, url, path).checked()


def reach(url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    if not w3.is_connected():
        raise SdkError(f"cannot reach the chain at {url}")
    return w3

