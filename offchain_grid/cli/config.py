"""Where the client finds its server and token: options, then XW_SERVER/XW_TOKEN, then a config file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..client import GridClient


def config_path() -> Path:
    if os.environ.get("XW_CONFIG"):
        return Path(os.environ["XW_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "xw" / "config.json"


def _from_file() -> dict:
    path = config_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read config file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"config file {path} must hold a JSON object")
    return data


def resolve(server: str | None, token: str | None) -> tuple[str, str]:
    file = None
    if not server:
        server = os.environ.get("XW_SERVER") or (file := _from_file()).get("server")
    if not token:
        token = os.environ.get("XW_TOKEN") or (file if file is not None else _from_file()).get("token")
    if not server:
        raise click.ClickException(f"no scheduler URL: use --server, XW_SERVER or 'server' in {config_path()}")
    if not token:
        raise click.ClickException(f"no API token: use --token, XW_TOKEN or 'token' in {config_path()}")
    return server, token


def connection_options(func):
    """--server/--token/--json on every client verb."""
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)
    func = click.option("--token", help="API token (or XW_TOKEN, or the config file).")(func)
    func = click.option("--server", help="Scheduler URL (or XW_SERVER, or the config file).")(func)
    return func


def client_from(server: str | None, token: str | None) -> GridClient:
    return GridClient(*resolve(server, token))
