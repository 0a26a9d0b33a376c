"""Real processes for the market's tests: anvil, the contracts, and `orderbook serve` on free ports."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from oracle import deployment as dep
from oracle.devchain import DevChain, free_port, start_anvil
from oracle.deployment import transact
from orderbook import orders
from orderbook.client import BookClient
from offchain_grid.contribution import hub_domain

from ..waiting import wait_until

RLC = dep.RLC_UNIT
APP_PRICE, DATASET_PRICE, POOL_PRICE = 2 * RLC, 1 * RLC, 3 * RLC
CALLBACK_GAS_PRICE = 1_000
DEPLOYER, APP_OWNER, POOL_OWNER, ORACLE, USER, STRANGER, DATASET_OWNER = range(7)


@dataclass
class Market:
    chain: DevChain
    deployment: dep.Deployment
    workdir: Path
    app: int
    dataset: int
    pool: int

    @property
    def w3(self):
        return self.chain.web3()

    def key(self, role: int):
        return self.chain.keys[role]

    def hub(self):
        return dep.contract(self.w3, "Hub", self.deployment.hub)

    def rlc(self):
        return dep.contract(self.w3, "RLC", self.deployment.rlc)

    @property
    def domain(self):
        return hub_domain(self.deployment.chain_id, self.deployment.hub)

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    def sign(self, kind: str, order: dict, role: int) -> bytes:
        return orders.sign(kind, order, self.key(role).key, self.domain)

    def digest(self, kind: str, order: dict) -> str:
        return "0x" + orders.digest(kind, order, self.domain).hex()

    def deposit(self, role: int, amount: int) -> None:
        account, hub = self.key(role), self.hub()
        dep.fund(self.w3, self.key(DEPLOYER), account.address, rlc=amount, deployment=self.deployment)
        transact(self.w3, account, self.rlc().functions.approve(hub.address, amount))
        transact(self.w3, account, hub.functions.deposit(amount))


def build_market(workdir: Path) -> Market:
    """anvil (automine), RLC and the Hub, an app, a dataset and a pool registered."""
    chain = start_anvil(log_path=workdir / "anvil.log")
    try:
        w3, keys = chain.web3(), chain.keys
        deployment = dep.deploy_all(w3, keys[DEPLOYER], "market")
        app = dep.register_app(w3, keys[APP_OWNER], deployment, APP_PRICE, hashlib.sha256(b"app").hexdigest(), "app")
        hub = dep.contract(w3, "Hub", deployment.hub)
        receipt = transact(w3, keys[DATASET_OWNER], hub.functions.registerDataset(
            DATASET_PRICE, hashlib.sha256(b"data").digest(), "data"))
        dataset = hub.events.DatasetRegistered().process_receipt(receipt)[0]["args"]["dataset"]
        pool = dep.register_pool(w3, keys[POOL_OWNER], deployment, price=POOL_PRICE, oracle=keys[ORACLE].address,
                                 owner_fee_bps=1_000, min_stake=0, max_duration=3600,
                                 callback_gas_price=CALLBACK_GAS_PRICE)
        deployment.app, deployment.pool = app, pool
        deployment.save(workdir)
    except BaseException:
        chain.stop()
        raise
    return Market(chain=chain, deployment=deployment, workdir=workdir, app=app, dataset=dataset, pool=pool)


class Book:
    """`orderbook serve` as its own process."""

    def __init__(self, rpc_url: str, deployment_file: Path, workdir: Path, db_url: str | None = None, *extra: str,
                 port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"orderbook-{self.port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orderbook", "serve", "--rpc-url", rpc_url,
             "--deployment", str(deployment_file), "--port", str(self.port),
             "--db", db_url or f"sqlite:///{workdir / f'book-{self.port}.db'}", "--poll-interval", "0.2", *extra],
            env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        wait_until(self._up, 60, what=f"the order book on port {self.port} (log {self.log.read_text()[-2000:]})")
        self.client = BookClient(self.url)

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"orderbook exited: {self.log.read_text()[-3000:]}")
        try:
            return requests.get(f"{self.url}/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("market")
    market = build_market(workdir)
    yield market
    market.chain.stop()


@pytest.fixture(scope="module")
def book(market):
    book = Book(market.chain.url, market.workdir / "market.json", market.workdir)
    yield book
    book.stop()
