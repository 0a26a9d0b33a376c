"""Deploying the contracts and setting up a pool, shared by the brownie scripts, the demo and
the tests; and the per-network file of addresses that the oracle and later scripts read."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound
from web3.logs import DISCARD

from . import artifacts
from .errors import DeploymentMissing, TransactionFailed, WrongChain

# one JSON file per network; $CUMULUS_DEPLOYMENTS_DIR moves them (e.g. for tests)
DEPLOYMENTS_DIR = Path(os.environ.get("CUMULUS_DEPLOYMENTS_DIR", artifacts.PROJECT_ROOT / "deployments"))
RLC_UNIT = 10**9
RLC_SUPPLY = 87_000_000 * RLC_UNIT


@dataclass
class Deployment:
    """Addresses of one network's contracts."""

    network: str
    chain_id: int
    rlc: str
    hub: str
    start_block: int  # the Hub's deployment block: events start there
    vanity: str | None = None
    app: int | None = None  # registry ids set up by the pool scripts
    pool: int | None = None
    genesis_hash: str | None = None  # hash of the chain's block 0: tells two chains with one id apart
    dapps: dict[str, str] = field(default_factory=dict)  # name -> address of dapps deployed with `cumulus dapp`

    def save(self, directory: Path = DEPLOYMENTS_DIR) -> Path:
        return self.write(directory / f"{self.network}.json")

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")  # a crash mid-write never leaves half a file
        temporary.write_text(json.dumps(asdict(self), indent=2) + "\n")
        temporary.replace(path)
        return path

    @classmethod
    def load(cls, network: str, directory: Path = DEPLOYMENTS_DIR) -> "Deployment":
        path = directory / f"{network}.json"
        if not path.exists():
            raise DeploymentMissing(f"no deployment recorded for network {network!r} ({path.name}): run the deploy script")
        return cls.read(path)

    @classmethod
    def read(cls, path: Path) -> "Deployment":
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise DeploymentMissing(f"no deployment file {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DeploymentMissing(f"cannot read the deployment file {path}: {exc}") from None
        try:
            return cls.from_json(json.loads(text))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise DeploymentMissing(f"{path} is not a deployment file: {exc}") from None

    @classmethod
    def from_json(cls, data: object) -> "Deployment":
        """The fields checked one by one, so a hand-edited file fails with the field it got wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        unknown = sorted(set(data) - set(_FIELD_KINDS))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}")
        for name, (kind, required) in _FIELD_KINDS.items():
            if name not in data:
                if required:
                    raise ValueError(f"missing field {name!r}")
                continue
            value = data[name]
            if value is None and not required:
                continue
            if not _is_kind(value, kind):
                raise ValueError(f"field {name!r} must be {kind}, found {json.dumps(value)[:40]}")
        return cls(**data)

    def check(self, w3: Web3, where: str) -> None:
        """Before any transaction: the chain reached at `where` must be the one this records."""
        chain_id = w3.eth.chain_id
        if chain_id != self.chain_id:
            raise WrongChain(f"the chain at {where} has chain id {chain_id}, but the {self.network!r} deployment "
                             f"was made on chain id {self.chain_id}")
        if self.genesis_hash and genesis_hash(w3) != self.genesis_hash:
            raise WrongChain(f"the chain at {where} is not the one the {self.network!r} deployment was made on "
                             f"(its block 0 differs): another chain, or a restarted local one, answers there")
        if not w3.eth.get_code(to_checksum_address(self.hub)):
            raise WrongChain(f"no Hub at {self.hub} on the chain at {where}: the {self.network!r} deployment "
                             "does not belong to it")


# each field of a deployment file: (what its value must be, whether the file must have it)
_FIELD_KINDS = {
    "network": ("a name", True), "chain_id": ("a chain id", True), "rlc": ("an address", True),
    "hub": ("an address", True), "start_block": ("a block number", True), "vanity": ("an address", False),
    "app": ("a registry id", False), "pool": ("a registry id", False), "genesis_hash": ("a block hash", False),
    "dapps": ("an object of names to addresses", False),
}


def _is_kind(value: object, kind: str) -> bool:
    natural = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind in ("a chain id", "a block number", "a registry id"):
        return natural
    if kind == "a name":
        return isinstance(value, str) and 0 < len(value) <= 200
    if kind == "an address":
        return Web3.is_address(value) if isinstance(value, str) else False
    if kind == "a block hash":
        return isinstance(value, str) and len(value) == 66 and value.startswith("0x") and _is_hex(value[2:])
    return isinstance(value, dict) and all(isinstance(k, str) and _is_kind(v, "an address") for k, v in value.items())


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def genesis_hash(w3: Web3) -> str:
    return "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()


def contract(w3: Web3, name: str, address: str) -> Contract:
    return w3.eth.contract(address=to_checksum_address(address), abi=artifacts.abi(name))


def transact(w3: Web3, account, call, gas: int | None = None, on_wait=None, timeout: float = 300.0) -> dict:
    """Sends one set-up transaction from a local key and waits for it; raises on revert.
    `on_wait(name, tx_hash, seconds)` is called about every second while it is not mined."""
    try:
        tx = call.build_transaction({"from": account.address,
                                     "nonce": w3.eth.get_transaction_count(account.address, "pending")})
    except (ContractLogicError, ContractCustomError) as exc:
        raise TransactionFailed(f"{call.fn_name} would revert: {_explain(exc)}") from None
    if gas:
        tx["gas"] = gas
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    name = getattr(call, "fn_name", "constructor")
    receipt = wait_for_receipt(w3, tx_hash, name, on_wait, timeout)
    if receipt["status"] != 1:
        raise TransactionFailed(f"{name} reverted in tx 0x{bytes(tx_hash).hex()}")
    return receipt


def wait_for_receipt(w3: Web3, tx_hash, name: str, on_wait=None, timeout: float = 300.0) -> dict:
    started = time.monotonic()
    while True:
        try:
            return w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            pass
        waited = time.monotonic() - started
        if waited > timeout:
            raise TransactionFailed(f"{name}: tx 0x{bytes(tx_hash).hex()} not mined after {timeout:.0f} s")
        if on_wait:
            on_wait(name, "0x" + bytes(tx_hash).hex(), waited)
        time.sleep(0.25 if waited < 2 else 1.0)


def _explain(exc: Exception) -> str:
    from .hub import RevertExplainer  # the ABIs are loaded only when a call fails

    return RevertExplainer("Hub", "RLC", "VanityAddress")(exc)


def deploy_contract(w3: Web3, account, name: str, *args) -> Contract:
    factory = w3.eth.contract(abi=artifacts.abi(name), bytecode=artifacts.bytecode(name))
    receipt = transact(w3, account, factory.constructor(*args))
    return contract(w3, name, receipt["contractAddress"])


def deploy_all(w3: Web3, deployer, network: str, rlc_address: str | None = None) -> Deployment:
    """RLC (unless an existing token is given) and the Hub."""
    rlc = contract(w3, "RLC", rlc_address) if rlc_address else deploy_contract(w3, deployer, "RLC", deployer.address, RLC_SUPPLY)
    hub = deploy_contract(w3, deployer, "Hub", rlc.address)
    block = w3.eth.block_number
    return Deployment(network=network, chain_id=w3.eth.chain_id, rlc=rlc.address, hub=hub.address, start_block=block,
                      genesis_hash=genesis_hash(w3))


def register_app(w3: Web3, owner, deployment: Deployment, price: int, checksum_hex: str, uri: str) -> int:
    """Registers an app owned by `owner`, whose grid app `uri` must belong to a grid user who
    proved `owner`'s address (`xw prove-address`) for the oracle to serve it."""
    hub = contract(w3, "Hub", deployment.hub)
    receipt = transact(w3, owner, hub.functions.registerApp(price, bytes.fromhex(checksum_hex.removeprefix("0x")), uri))
    return _registered_id(hub.events.AppRegistered(), receipt, "app")


def register_pool(w3: Web3, owner, deployment: Deployment, *, price: int, oracle: str, owner_fee_bps: int,
                  min_stake: int, max_duration: int, callback_gas_price: int) -> int:
    """A pool owned by `owner`: `price` per replica, `callback_gas_price` nRLC per unit of callback gas."""
    hub = contract(w3, "Hub", deployment.hub)
    config = (owner.address, price, owner_fee_bps, max_duration, to_checksum_address(oracle), min_stake,
              callback_gas_price)
    receipt = transact(w3, owner, hub.functions.registerPool(config))
    return _registered_id(hub.events.PoolRegistered(), receipt, "pool")


def _registered_id(event, receipt: dict, field: str) -> int:
    """The new id from the registration's own event: a counter read afterwards may already
    count someone else's registration on a shared chain."""
    [log] = event.process_receipt(receipt, errors=DISCARD)
    return log["args"][field]


def join_pool(w3: Web3, worker, deployment: Deployment, pool: int, stake: int) -> None:
    rlc = contract(w3, "RLC", deployment.rlc)
    hub = contract(w3, "Hub", deployment.hub)
    transact(w3, worker, rlc.functions.approve(hub.address, stake))
    transact(w3, worker, hub.functions.joinPool(pool, stake))


def fund(w3: Web3, funder, to: str, *, eth_wei: int = 0, rlc: int = 0, deployment: Deployment | None = None) -> None:
    if eth_wei:
        tx = {"to": to_checksum_address(to), "value": eth_wei, "from": funder.address,
              "nonce": w3.eth.get_transaction_count(funder.address, "pending"), "gas": 21_000,
              "maxFeePerGas": w3.eth.gas_price * 2 + 10**9, "maxPriorityFeePerGas": 10**9, "chainId": w3.eth.chain_id}
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(funder.sign_transaction(tx).raw_transaction))
    if rlc and deployment:
        transact(w3, funder, contract(w3, "RLC", deployment.rlc).functions.transfer(to_checksum_address(to), rlc))
