"""The whole system on one machine: anvil, the contracts, a pool with staked workers, the
vanity app on the grid and on chain, and the vanity dapp. Used by the demo and the tests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from eth_abi import encode
from web3 import Web3
from web3.logs import DISCARD

from offchain_grid.client import GridClient

from . import deployment as dep
from .artifacts import PROJECT_ROOT
from .deployment import transact
from .hub import task_spec
from .devchain import DevChain, free_port, start_anvil
from .embedded import EmbeddedGrid, start_grid

VANITY_APP = PROJECT_ROOT / "apps" / "vanity" / "vanity.py"
RLC = dep.RLC_UNIT
APP_PRICE = 2 * RLC
POOL_PRICE = 3 * RLC  # per replica
CALLBACK_GAS_PRICE = 1_000  # nRLC per unit of callback gas: the dapp's 300,000 gas cost 0.3 RLC
VANITY_CALLBACK_GAS = 300_000
OWNER_FEE_BPS = 1_000
MIN_STAKE = 100 * RLC
MAX_DURATION = 600

ZERO_ADDRESS = "0x" + "00" * 20
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
    app_owner_grid: GridClient  # the app owner's grid account, bound to the app owner's address
    monitor_port: int  # where start_oracle's oracle serves /metrics and /status (the dashboard reads it)

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    def key(self, role: int):
        return self.chain.keys[role]

    def contract(self, name: str, address: str | None = None):
        address = address or {"RLC": self.deployment.rlc, "Hub": self.deployment.hub,
                              "VanityAddress": self.vanity}[name]
        return dep.contract(self.w3, name, address)

    def worker_key(self, index: int) -> str:
        """The 0x-hex key of the pool's `index`-th staked worker."""
        return "0x" + bytes(self.chain.keys[FIRST_WORKER + index].key).hex()

    def add_app(self, name: str, app_file: Path, price: int = APP_PRICE, arch: str = "x86_64") -> int:
        """Registers an app on the grid and on chain (owned by the app owner); returns its id."""
        self.app_owner_grid.send_app(name, arch, "linux", str(app_file))
        checksum = hashlib.sha256(app_file.read_bytes()).hexdigest()
        return dep.register_app(self.w3, self.key(APP_OWNER), self.deployment, price, checksum, name)

    def request(self, app: int, *, trust: int = 1, params: str = "", callback: str | None = None,
                callback_gas: int = 100_000, duration: int = 0, requester: int = USER,
                dataset: int = 0) -> tuple[bytes, tuple, dict]:
        """A direct request on the Hub (approve, then requestTask); returns id, request, receipt."""
        hub, rlc = self.contract("Hub"), self.contract("RLC")
        account = self.key(requester)
        spec = task_spec(app, self.deployment.pool, dataset=dataset, trust=trust, callback=callback,
                         callback_gas=callback_gas, duration=duration, params=params.encode())
        price = hub.functions.quote(spec).call()
        transact(self.w3, account, rlc.functions.approve(hub.address, price))
        receipt = transact(self.w3, account, hub.functions.requestTask(spec))
        event = hub.events.TaskRequested().process_receipt(receipt, errors=DISCARD)[0]
        request = event["args"]["request"]
        return bytes(event["args"]["taskId"]), request, receipt

    def stop(self) -> None:
        self.grid.stop()
        self.chain.stop()


def build(workdir: Path, *, workers: int = 3, trust: int = 3, block_time: float | None = 1.0,
          app_file: Path = VANITY_APP, app_name: str = "vanity", worker_keys: list[str] | None = None,
          grid_worker_count: int | None = None, progress=lambda step: None) -> LocalNet:
    """Starts and wires everything; `workers` staked pool members, of which the grid runs
    `grid_worker_count` (default: all). `progress` is told each step as it starts."""
    workdir.mkdir(parents=True, exist_ok=True)
    progress("starting anvil")
    chain = start_anvil(block_time=block_time, accounts=FIRST_WORKER + max(workers, 1) + 1,
                        log_path=workdir / "anvil.log")
    try:
        progress("deploying RLC and the Hub, registering the app and the pool")
        w3 = chain.web3()
        keys = chain.keys
        deployer = keys[DEPLOYER]
        deployment = dep.deploy_all(w3, deployer, "local")
        checksum = hashlib.sha256(app_file.read_bytes()).hexdigest()
        deployment.app = dep.register_app(w3, keys[APP_OWNER], deployment, APP_PRICE, checksum, app_name)
        deployment.pool = dep.register_pool(w3, keys[POOL_OWNER], deployment, price=POOL_PRICE,
                                            oracle=keys[ORACLE].address, owner_fee_bps=OWNER_FEE_BPS,
                                            min_stake=MIN_STAKE, max_duration=MAX_DURATION,
                                            callback_gas_price=CALLBACK_GAS_PRICE)
        worker_accounts = keys[FIRST_WORKER:FIRST_WORKER + workers]
        progress(f"staking {workers} workers in the pool, deploying the vanity dapp")
        for worker in worker_accounts:
            dep.fund(w3, deployer, worker.address, rlc=MIN_STAKE, deployment=deployment)
            dep.join_pool(w3, worker, deployment, deployment.pool, MIN_STAKE)
        dep.fund(w3, deployer, keys[USER].address, rlc=1_000 * RLC, deployment=deployment)
        vanity = dep.deploy_contract(w3, deployer, "VanityAddress", deployment.hub, deployment.app,
                                     deployment.pool, trust, VANITY_CALLBACK_GAS)
        deployment.vanity = vanity.address
        deployment.save(workdir)
        run_keys = worker_keys or ["0x" + bytes(w.key).hex() for w in worker_accounts]
        progress("starting the scheduler and the workers")
        monitor_port = free_port()
        grid = start_grid(workdir / "grid", run_keys[:grid_worker_count] if grid_worker_count is not None else run_keys,
                          oracle_status_url=f"http://127.0.0.1:{monitor_port}/status")
        try:
            # the app owner's own grid account, bound to its Ethereum address by signing: the oracle
            # serves an on-chain app only if its on-chain owner is its grid owner's address
            app_owner_grid = GridClient(grid.url, GridClient(grid.url, None).sign_up(keys[APP_OWNER])["token"])
            app_owner_grid.send_app(app_name, "x86_64", "linux", str(app_file))
        except BaseException:
            grid.stop()
            raise
    except BaseException:
        chain.stop()
        raise
    return LocalNet(chain=chain, grid=grid, deployment=deployment, w3=w3, vanity=vanity.address,
                    app_owner_grid=app_owner_grid, monitor_port=monitor_port)


def vanity_price(net: LocalNet) -> int:
    """What the vanity dapp's task costs: the app, each replica of its trust, its callback gas."""
    return net.contract("VanityAddress").functions.price().call()


def vanity_request(prefix: str, deployer: str, init_code_hash: bytes) -> bytes:
    """The data an end user passes to approveAndCall on the vanity dapp."""
    return encode(["string", "address", "bytes32"], [prefix, Web3.to_checksum_address(deployer), init_code_hash])


def start_oracle(net: LocalNet, workdir: Path, *extra: str) -> subprocess.Popen:
    """`oracle run` as its own process, against the local chain and grid."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", ORACLE_PRIVATE_KEY="0x" + bytes(net.key(ORACLE).key).hex())
    log = open(workdir / "oracle.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "oracle.cli", "run", "--rpc-url", net.chain.url,
         "--deployment", str(workdir / "local.json"), "--scheduler", net.grid.url, "--grid-token", net.grid.token,
         "--db", f"sqlite:///{workdir / 'oracle.db'}", "--poll-interval", "0.5",
         "--metrics-port", str(net.monitor_port), *extra],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def request_vanity(net: LocalNet, prefix: str, max_payment: int) -> tuple[bytes, dict]:
    """The end user's one transaction: approveAndCall on RLC, to the vanity dapp."""
    user = net.key(USER)
    init_code_hash = Web3.keccak(text="cumulus demo contract")
    data = vanity_request(prefix, user.address, init_code_hash)
    receipt = transact(net.w3, user, net.contract("RLC").functions.approveAndCall(net.vanity, max_payment, data))
    event = net.contract("VanityAddress").events.VanityRequested().process_receipt(receipt, errors=DISCARD)[0]
    return bytes(event["args"]["taskId"]), receipt


def wait_for_answer(net: LocalNet, task_id: bytes, timeout: float = 180.0) -> str:
    vanity = net.contract("VanityAddress")
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = vanity.functions.s_found(task_id).call()
        if int(found, 16):
            return found
        time.sleep(0.5)
    raise TimeoutError(f"no answer within {timeout:.0f}s")


def finalize_receipt(net: LocalNet, task_id: bytes):
    hub = net.contract("Hub")
    logs = hub.events.TaskFinalized().get_logs(from_block=net.deployment.start_block, argument_filters={"taskId": task_id})
    return net.w3.eth.get_transaction_receipt(logs[0]["transactionHash"]), logs[0]


def request_burst(net: LocalNet, app: int, count: int, *, trust: int = 1, callback: str | None = None,
                  callback_gas: int = 60_000, requester: int = USER) -> list[dict]:
    """`count` paid requests sent as fast as the node takes them (signed beforehand, consecutive
    nonces, one deposit paying for all, RLC topped up from the deployer); returns their receipts."""
    hub, rlc = net.contract("Hub"), net.contract("RLC")
    account = net.key(requester)
    spec = task_spec(app, net.deployment.pool, trust=trust, callback=callback, callback_gas=callback_gas)
    price = hub.functions.quote(spec).call()
    missing = price * count - rlc.functions.balanceOf(account.address).call()
    if missing > 0:  # the deployer holds the rest of the supply
        dep.fund(net.w3, net.key(DEPLOYER), account.address, rlc=missing, deployment=net.deployment)
    transact(net.w3, account, rlc.functions.approve(hub.address, price * count))
    transact(net.w3, account, hub.functions.deposit(price * count))
    nonce = net.w3.eth.get_transaction_count(account.address)
    fees = {"maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9, "chainId": net.w3.eth.chain_id}
    signed = [account.sign_transaction(hub.functions.requestTask(spec[:-1] + (f"{i}".encode(),)).build_transaction(
        {"from": account.address, "nonce": nonce + i, "gas": 400_000, **fees})).raw_transaction for i in range(count)]
    hashes = [net.w3.eth.send_raw_transaction(raw) for raw in signed]
    return [net.w3.eth.wait_for_transaction_receipt(h, timeout=300) for h in hashes]
