"""Where a network's chain answers: an explicit URL, else the address brownie's network list gives.

Read from brownie's own files (the user's ~/.brownie/network-config.yaml, else the one brownie
ships) without importing brownie, which would create its per-user folders as a side effect.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

import yaml

from .errors import OracleError

URL_VARIABLE = "CUMULUS_RPC_URL"


def rpc_url(network: str, explicit: str | None = None) -> str:
    """`explicit` (an --rpc-url option or $CUMULUS_RPC_URL) when given, else the network's
    configured host, with its port for a local network brownie would start."""
    if explicit:
        return explicit
    settings = _networks().get(network)
    if settings is None:
        raise OracleError(f"unknown network {network!r}: give --rpc-url (or set ${URL_VARIABLE}), "
                          "or one of `brownie networks list`")
    host = os.path.expandvars(str(settings["host"]))
    if "$" in host:
        raise OracleError(f"network {network!r} reads its address from {settings['host']}: set that variable")
    port = settings.get("cmd_settings", {}).get("port") if "cmd" in settings else None
    return f"{host}:{port}" if port and host.count(":") < 2 else host


def _networks() -> dict[str, dict]:
    path = Path.home() / ".brownie" / "network-config.yaml"
    if not path.is_file():
        path = Path(find_spec("brownie").origin).parent / "data" / "network-config.yaml"
    config = yaml.safe_load(path.read_text()) or {}
    found = {n["id"]: n for n in config.get("development", [])}
    for group in config.get("live", []):
        found.update({n["id"]: n for n in group.get("networks", [])})
    return found
