"""A local anvil chain on a free port of 127.0.0.1, with its well-known funded dev keys."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from web3 import Web3

from .artifacts import PROJECT_ROOT

DEV_MNEMONIC = "test test test test test test test test test test test junk"


def dev_keys(count: int = 10) -> list:
    """anvil's default accounts (funded with 10,000 ETH each on a fresh chain)."""
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def anvil_binary() -> str:
    local = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
    found = str(local) if local.exists() else shutil.which("anvil")
    if not found:
        raise RuntimeError("anvil not found: run `make setup` (npm installs @foundry-rs/anvil)")
    return found


@dataclass
class DevChain:
    """A running anvil; stop() ends it."""

    port: int
    process: subprocess.Popen
    keys: list = field(default_factory=dev_keys)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def web3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 60}))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_anvil(block_time: float | None = None, accounts: int = 10, log_path: Path | None = None,
                chain_id: int | None = None) -> DevChain:
    """Starts anvil (automine, or a block every `block_time` seconds; its own `chain_id` if
    given, else 31337) and waits until it answers."""
    port = free_port()
    cmd = [anvil_binary(), "--host", "127.0.0.1", "--port", str(port), "--accounts", str(accounts), "--silent"]
    if block_time:
        cmd += ["--block-time", str(block_time)]
    if chain_id:
        cmd += ["--chain-id", str(chain_id)]
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    chain = DevChain(port=port, process=process, keys=dev_keys(accounts))
    w3 = chain.web3()
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"anvil exited with code {process.returncode}")
        try:
            w3.eth.block_number
            return chain
        except Exception:
            time.sleep(0.1)
    chain.stop()
    raise RuntimeError("anvil did not answer within 30 s")
