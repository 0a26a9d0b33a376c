"""The whole system on one machine: anvil, the contracts, a pool with staked workers, the
vanity app on the grid and on chain, and the vanity dapp. Used by the demo and the tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from eth_abi import encode
from web3 import Web3

from . import deployment as dep
from .artifacts import PROJECT_ROOT
from .devchain import DevChain, start_anvil
from .embedded import EmbeddedGrid, start_grid

VANITY_APP = PROJECT_ROOT / "apps" / "vanity" / "vanity.py"
RLC = dep.RLC_UNIT
APP_PRICE = 2 * RLC
POOL_PRICE = 9 * RLC
OWNER_FEE_BPS = 1_000
MIN_STAKE = 100 * RLC
MAX_DURATION = 600

# roles among anvil's funded dev keys
DEPLOYER, APP_OWNER, POOL_OWNER, ORACLE, USER = 0, 1, 2, 3, 4
FIRST_WORKER = 5


@dataclass
class LocalNet:
    chain: DevChain
    grid: EmbeddedGrid
    deployment: dep.Deployment
    w3: Web3
    vanity: str  # the dapp's address

    def key(self, role: int):
        return self.chain.keys[role]

    def contract(self, name: str, address: str | None = None):
        address = address or {"RLC": self.deployment.rlc, "Hub": self.deployment.hub,
                              "VanityAddress": self.vanity}[name]
        return dep.contract(self.w3, name, address)

    def stop(self) -> None:
        self.grid.stop()
        self.chain.stop()


def build(workdir: Path, *, workers: int = 3, trust: int = 3, block_time: float | None = 1.0,
          app_file: Path = VANITY_APP, app_name: str = "vanity", worker_keys: list[str] | None = None,
          grid_worker_count: int | None = None) -> LocalNet:
    """Starts and wires everything; `workers` staked pool members, of which the grid runs
    `grid_worker_count` (default: all)."""
    workdir.mkdir(parents=True, exist_ok=True)
    chain = start_anvil(block_time=block_time, accounts=FIRST_WORKER + max(workers, 1) + 1,
                        log_path=workdir / "anvil.log")
    try:
        w3 = chain.web3()
        keys = chain.keys
        deployer = keys[DEPLOYER]
        deployment = dep.deploy_all(w3, deployer, "local")
        checksum = hashlib.sha256(app_file.read_bytes()).hexdigest()
        deployment.app = dep.register_app(w3, keys[APP_OWNER], deployment, APP_PRICE, checksum, app_name)
        deployment.pool = dep.register_pool(w3, keys[POOL_OWNER], deployment, price=POOL_PRICE,
                                            oracle=keys[ORACLE].address, owner_fee_bps=OWNER_FEE_BPS,
                                            min_stake=MIN_STAKE, max_duration=MAX_DURATION)
        worker_accounts = keys[FIRST_WORKER:FIRST_WORKER + workers]
        for worker in worker_accounts:
            dep.fund(w3, deployer, worker.address, rlc=MIN_STAKE, deployment=deployment)
            dep.join_pool(w3, worker, deployment, deployment.pool, MIN_STAKE)
        dep.fund(w3, deployer, keys[USER].address, rlc=1_000 * RLC, deployment=deployment)
        vanity = dep.deploy_contract(w3, deployer, "VanityAddress", deployment.hub, deployment.app,
                                     deployment.pool, trust, 300_000)
        deployment.vanity = vanity.address
        deployment.save(workdir)
        run_keys = worker_keys or ["0x" + bytes(w.key).hex() for w in worker_accounts]
        grid = start_grid(workdir / "grid", run_keys[:grid_worker_count] if grid_worker_count is not None else run_keys)
        grid.client().send_app(app_name, "x86_64", "linux", str(app_file))
    except BaseException:
        chain.stop()
        raise
    return LocalNet(chain=chain, grid=grid, deployment=deployment, w3=w3, vanity=vanity.address)


def vanity_request(prefix: str, deployer: str, init_code_hash: bytes) -> bytes:
    """The data an end user passes to approveAndCall on the vanity dapp."""
    return encode(["string", "address", "bytes32"], [prefix, Web3.to_checksum_address(deployer), init_code_hash])
