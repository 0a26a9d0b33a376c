"""Apps and datasets registered on the grid and on chain in one step, by their owner.

The grid entry is made under the owner's own grid account (bound to its Ethereum address by a
signed challenge), and the on-chain entry carries the sha256 of the same bytes, so the pool's
oracle can check that both describe the same thing owned by the same key. A step already done
is found and reused: the grid entry by name (apps) or checksum (datasets), the chain entry
through the owner's registration events, never through a counter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from offchain_grid.client import ClientError, GridClient
from oracle.deployment import register_app, transact

from .chain import Chain
from .errors import SdkError


@dataclass(frozen=True)
class Registered:
    kind: str  # "app" or "dataset"
    chain_id: int  # the registry id
    grid_ref: str  # the grid's name (apps) or data uid (datasets), recorded on chain as the uri
    checksum: str  # sha256 hex, no 0x
    reused_on_chain: bool
    reused_on_grid: bool


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def owner_grid(grid_url: str, token: str | None, owner) -> GridClient:
    """The owner's grid session: `token` if it is an account bound to the owner's address,
    else a new token obtained by signing the scheduler's challenge."""
    if token:
        grid = GridClient(grid_url, token)
        bound = grid.get("/users/me").get("address")
        if bound == owner.address:
            return grid
        raise SdkError(f"the grid token is {'bound to ' + bound if bound else 'not bound to any address'}, "
                       f"not to {owner.address}: run `cumulus grid signup` with this key")
    grid = GridClient(grid_url, None)
    grid.http.headers["Authorization"] = f"Bearer {grid.sign_up(owner)['token']}"
    return grid


def register_app_everywhere(chain: Chain, grid: GridClient, owner, path: Path, name: str, price: int,
                            on_wait=None) -> Registered:
    checksum = sha256_of(path)
    try:
        existing = grid.get(f"/apps/{name}")
    except ClientError as exc:
        if exc.status != 404:
            raise
        existing = None
    if existing and existing.get("checksum") != checksum:
        raise SdkError(f"the grid already has an app {name!r} with another checksum ({existing.get('checksum')}); "
                       "give this one another name")
    if existing is None:
        grid.send_app(name, "x86_64", "linux", str(path), checksum)
    app = find_registration(chain, "app", owner.address, checksum, name)
    reused = app is not None
    if app is None:
        app = register_app(chain.w3, owner, chain.deployment, price, checksum, name)
    return Registered("app", app, name, checksum, reused, existing is not None)


def register_dataset_everywhere(chain: Chain, grid: GridClient, owner, path: Path, price: int,
                                on_wait=None) -> Registered:
    checksum = sha256_of(path)
    mine = [d for d in grid.get("/datas", checksum=checksum) if d.get("owner") == owner.address]
    data_uid = mine[0]["uid"] if mine else grid.send_data(str(path), path.name, checksum)["uid"]
    dataset = find_registration(chain, "dataset", owner.address, checksum, data_uid)
    reused = dataset is not None
    if dataset is None:
        receipt = transact(chain.w3, owner, chain.hub.functions.registerDataset(price, bytes.fromhex(checksum),
                                                                                data_uid), on_wait=on_wait)
        dataset = chain.hub.events.DatasetRegistered().process_receipt(receipt)[0]["args"]["dataset"]
    return Registered("dataset", dataset, data_uid, checksum, reused, bool(mine))


def find_registration(chain: Chain, kind: str, owner: str, checksum: str, uri: str) -> int | None:
    """The latest app or dataset `owner` registered with this checksum and uri, if any."""
    event = chain.hub.events.AppRegistered() if kind == "app" else chain.hub.events.DatasetRegistered()
    logs = event.get_logs(from_block=chain.deployment.start_block, argument_filters={"owner": owner})
    same = [log["args"][kind] for log in logs
            if bytes(log["args"]["checksum"]).hex() == checksum and log["args"]["uri"] == uri]
    return same[-1] if same else None
