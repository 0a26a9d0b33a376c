"""The README followed word for word on a live-style network: a second chain with its own id
(4242) and 1-second blocks, PostgreSQL for the grid and the oracle, real scheduler, workers and
oracle processes. First the operator's commands ("Running a pool on a live network") up to a
paid request served; then, on that pool, a dapp developer's ("Writing your own dapp")."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from oracle.deployment import RLC_UNIT, Deployment, contract, fund
from oracle.devchain import start_anvil
from sdk.keys import create_keystore

from ..grid.postgres import Postgres
from ..grid.procs import free_port
from ..readme import code_blocks, commands, section
from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("xw scheduler", "XW_WORKER_PRIVATE_KEY=$WORKER_KEY xw worker", "oracle run")
WORKERS = 3


class Shell:
    """Runs README lines with bash in one folder and environment; services stay in the background."""

    def __init__(self, cwd: Path, env: dict):
        self.cwd, self.env, self.services = cwd, env, []

    def run(self, line: str, timeout: float = 600, **extra) -> subprocess.CompletedProcess:
        # brownie resolves the project's remappings from the working folder: its lines run in the
        # checkout, every other line here (so that nothing is left in the checkout)
        cwd = ROOT if line.startswith("brownie ") else self.cwd
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=cwd, env={**self.env, **extra},
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"$ {line}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n{self.logs()}"
        return done

    def start(self, line: str, name: str, cwd: Path | None = None, **extra) -> None:
        log = self.cwd / f"{name}.log"
        (cwd or self.cwd).mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(["bash", "-c", line], cwd=cwd or self.cwd, env={**self.env, **extra},
                                   stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        self.services.append((name, process, log))

    def wait_for(self, predicate, what: str, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for name, process, _log in self.services:
                assert process.poll() is None, f"{name} exited with {process.returncode}\n{self.logs()}"
            if predicate():
                return
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{log.read_text(errors='replace')[-2500:]}" for name, _p, log in self.services)

    def stop(self) -> None:
        for _name, process, _log in self.services:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process, _log in self.services:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def live():
    """A chain, two PostgreSQL databases, and the environment the README's first block describes."""
    chain = start_anvil(block_time=1, accounts=12, chain_id=4242)
    postgres = Postgres().start()
    folder = Path(tempfile.mkdtemp(prefix="readme-live-"))
    keys = ["0x" + bytes(k.key).hex() for k in chain.keys]
    (folder / "oracle.key").write_text(keys[3] + "\n")
    grid_port = free_port()
    env = {**os.environ, "CUMULUS_RPC_URL": chain.url, "CUMULUS_PRIVATE_KEY": keys[0],
           "CUMULUS_APP_OWNER_KEY": keys[1], "CUMULUS_POOL_OWNER_KEY": keys[2],
           "CUMULUS_ORACLE_ADDRESS": chain.keys[3].address, "CUMULUS_WORKER_KEYS": ",".join(keys[5:5 + WORKERS]),
           "GRID_PORT": str(grid_port), "XW_SERVER": f"http://127.0.0.1:{grid_port}",
           "GRID_DB": postgres.new_database(), "ORACLE_DB": postgres.new_database(),
           "CUMULUS_DEPLOYMENTS_DIR": str(folder / "deployments"), "XW_CONFIG": str(folder / "xw.json"),
           "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    for name in ("CUMULUS_NETWORK", "CUMULUS_KEYSTORE", "CUMULUS_KEYSTORE_PASSWORD", "XW_TOKEN"):
        env.pop(name, None)
    shell = Shell(folder, env)
    shell.chain, shell.worker_keys = chain, keys[5:5 + WORKERS]
    yield shell
    shell.stop()
    postgres.stop()
    chain.stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_the_operators_commands_serve_a_paid_request(live):
    what_to_set, steps = code_blocks(section("Running a pool on a live network"), "sh")
    named = set(re.findall(r"(?:export |\s)([A-Z_]+)=", what_to_set))
    assert named <= set(live.env) | {"WORKER_KEY"}, named - set(live.env)  # the README names what we set
    for line in commands(steps):
        if line.startswith(SERVICES[0]):
            live.start(line, "scheduler")
            live.wait_for(lambda: _up(live.env["XW_SERVER"]), "the scheduler")
        elif line.startswith(SERVICES[1]):
            for index, key in enumerate(live.worker_keys):
                live.start(line, f"worker{index}", cwd=live.cwd / f"worker{index}", WORKER_KEY=key)
            live.wait_for(lambda: _logged_in(live) == WORKERS, "the workers' logins")
        elif line.startswith(SERVICES[2]):
            live.start(line, "oracle")
            live.wait_for(lambda: "oracle for pool" in (live.cwd / "oracle.log").read_text(), "the oracle")
        else:
            done = live.run(line)
    assert "TaskFinalized" in done.stdout and re.search(r"workers: 3\b", done.stdout), done.stdout
    assert re.findall(r"\[\s*\d+\.\ds\] block \d+: task Requested", done.stderr)  # it showed progress
    deployment = Deployment.load("cumulus-live", live.cwd / "deployments")
    assert deployment.chain_id == 4242 and deployment.vanity and deployment.pool
    again = live.run("brownie run scripts/setup_pool.py --network cumulus-live")  # a rerun changes nothing
    assert again.stdout.count("already staked") == WORKERS
    assert Deployment.load("cumulus-live", live.cwd / "deployments") == deployment


def test_a_dapp_built_from_the_readme_is_served_on_that_pool(live):
    dapp_section = section("Writing your own dapp")
    [solidity], [python], steps = (code_blocks(dapp_section, "solidity"), code_blocks(dapp_section, "python"),
                                   code_blocks(dapp_section, "sh")[-1])
    chain, deployment = live.chain, Deployment.load("cumulus-live", live.cwd / "deployments")
    developer = live.cwd / "developer"
    developer.mkdir()
    account = create_keystore(developer / "me.json", PASSWORD)
    w3 = chain.web3()
    w3.eth.send_transaction({"from": chain.keys[0].address, "to": account.address, "value": 10**18})
    fund(w3, chain.keys[0], account.address, rlc=100 * RLC_UNIT, deployment=deployment)
    env = {"CUMULUS_NETWORK": "cumulus-live", "CUMULUS_KEYSTORE": str(developer / "me.json"),
           "CUMULUS_KEYSTORE_PASSWORD": PASSWORD, "POOL": str(deployment.pool),
           "XW_CONFIG": str(developer / "xw.json"), "CUMULUS_PRIVATE_KEY": ""}
    script = "\n".join(commands(steps))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=developer, env={**live.env, **env},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n{live.logs()}"
    assert (developer / "contracts" / "dapps" / "SumDapp.sol").read_text() == solidity  # the README is the template
    assert (developer / "apps" / "sumdapp" / "sumdapp.py").read_text() == python
    task_id = re.search(r"task (0x[0-9a-f]{64}) requested", done.stderr).group(1)
    assert "TaskFinalized" in done.stdout
    recorded = Deployment.load("cumulus-live", live.cwd / "deployments")
    dapp = w3.eth.contract(address=recorded.dapps["SumDapp"],
                           abi=[{"type": "function", "name": "s_results", "stateMutability": "view",
                                 "inputs": [{"name": "", "type": "bytes32"}], "outputs": [{"name": "", "type": "uint256"}]}])
    assert dapp.functions.s_results(bytes.fromhex(task_id[2:])).call() == 12
    grid_apps = {a["name"]: a["owner"] for a in
                 requests.get(f"{live.env['XW_SERVER']}/api/v1/apps",
                              headers={"Authorization": "Bearer " + json.loads((developer / "xw.json").read_text())["token"]},
                              timeout=10).json()}
    assert grid_apps["sumdapp"] == account.address
    hub = contract(w3, "Hub", recorded.hub)
    assert hub.functions.s_apps(int(re.search(r"chain: app (\d+)", done.stderr).group(1))).call()[0] == account.address


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/health", timeout=2).ok
    except requests.RequestException:
        return False


def _logged_in(live) -> int:
    return sum("logged in to" in (live.cwd / f"worker{i}.log").read_text(errors="replace")
               for i in range(WORKERS) if (live.cwd / f"worker{i}.log").exists())
