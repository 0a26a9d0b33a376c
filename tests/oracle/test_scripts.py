"""The brownie scripts a pool operator and an end user run, against a chain reached by URL
(the `cumulus-live` network, as on a public network) with keys from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from oracle.deployment import RLC_UNIT, contract, fund, Deployment
from oracle.devchain import start_anvil
from oracle.embedded import start_grid

ROOT = Path(__file__).resolve().parents[2]


def brownie(*args: str, env: dict, ok: bool = True) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("brownie")), "run", *args, "--network", "cumulus-live"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if ok:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_deploy_setup_request_and_read_state_with_env_keys(tmp_path):
    chain = start_anvil()
    try:
        keys = ["0x" + bytes(k.key).hex() for k in chain.keys]
        env = dict(os.environ, CUMULUS_RPC_URL=chain.url, CUMULUS_DEPLOYMENTS_DIR=str(tmp_path),
                   CUMULUS_PRIVATE_KEY=keys[0], CUMULUS_APP_OWNER_KEY=keys[1], CUMULUS_POOL_OWNER_KEY=keys[2],
                   CUMULUS_USER_KEY=keys[4], CUMULUS_ORACLE_ADDRESS=chain.keys[3].address,
                   CUMULUS_WORKER_KEYS=",".join(keys[5:8]))
        out = brownie("scripts/deploy.py", env=env).stdout
        assert "recorded in cumulus-live.json" in out
        deployment = Deployment(**json.loads((tmp_path / "cumulus-live.json").read_text()))
        out = brownie("scripts/deploy.py", env=env).stdout  # a rerun reuses what it deployed
        assert f"Hub {deployment.hub}\nalready deployed on this chain" in out
        w3 = chain.web3()
        fund(w3, chain.keys[0], chain.keys[4].address, rlc=200 * RLC_UNIT, deployment=deployment)  # the user
        grid = start_grid(tmp_path / "grid", [])
        env["XW_SERVER"] = grid.url
        try:
            poor = {**env, "CUMULUS_PRIVATE_KEY": keys[9]}  # a funder holding no RLC
            nonces = [w3.eth.get_transaction_count(k.address) for k in chain.keys]
            done = brownie("scripts/setup_pool.py", env=poor, ok=False)
            assert done.returncode == 1 and done.stderr.strip().splitlines()[-1] == (
                f"error: nothing was sent; missing: 300 RLC more at {chain.keys[9].address} (the funder) "
                "to bring the workers' stakes to 100 RLC each")
            assert [w3.eth.get_transaction_count(k.address) for k in chain.keys] == nonces
            out = brownie("scripts/setup_pool.py", env=env).stdout
            assert out.count("staked 100 RLC in pool 1 (funded 100 RLC)") == 3
            first = Deployment(**json.loads((tmp_path / "cumulus-live.json").read_text()))
            nonces = [w3.eth.get_transaction_count(k.address) for k in chain.keys]
            again = brownie("scripts/setup_pool.py", env=env).stdout  # a rerun finds and reuses everything
            assert again.count("already staked in pool 1") == 3
            assert [w3.eth.get_transaction_count(k.address) for k in chain.keys] == nonces  # and sends nothing
            assert Deployment(**json.loads((tmp_path / "cumulus-live.json").read_text())) == first
            grid_apps = [(a["name"], a["owner"]) for a in grid.client().get("/apps")]
            assert grid_apps == [("vanity", chain.keys[1].address)]  # under the app owner's own account
        finally:
            grid.stop()
        done = brownie("scripts/deploy_dapp.py", "main", "VanityAddress", str(first.app), str(first.pool), "1",
                       "300000", env=env)  # Contract.deploy and .at, as brownie users write them
        assert "Traceback" not in done.stdout + done.stderr and "TypeError" not in done.stdout + done.stderr
        dapp = Deployment(**json.loads((tmp_path / "cumulus-live.json").read_text())).dapps["VanityAddress"]
        assert f"VanityAddress {dapp}, recorded in cumulus-live.json" in done.stdout
        assert contract(w3, "VanityAddress", dapp).functions.i_pool().call() == first.pool
        out = brownie("scripts/request_task.py", "main", "ab", env=env).stdout
        task_id = out.split("task ")[1].split()[0]
        out = brownie("scripts/task_state.py", "main", task_id, env=env).stdout
        assert f"task {task_id}: Requested" in out
        deployment = Deployment(**json.loads((tmp_path / "cumulus-live.json").read_text()))
        hub = contract(w3, "Hub", deployment.hub)
        assert hub.functions.s_workers(chain.keys[5].address).call()[0] == deployment.pool
        assert hub.functions.s_pools(deployment.pool).call()[4] == chain.keys[3].address  # the oracle
        other = start_anvil()  # the same chain id: only its first block tells it apart
        try:
            done = brownie("scripts/task_state.py", "main", task_id, env={**env, "CUMULUS_RPC_URL": other.url}, ok=False)
            assert done.returncode == 1
            assert done.stderr.strip().splitlines()[-1] == (
                f"error: the chain at {other.url} is not the one the 'cumulus-live' deployment was made on "
                "(its block 0 differs): another chain, or a restarted local one, answers there")
            assert "Traceback" not in done.stderr + done.stdout
            done = brownie("scripts/deploy.py", env={**env, "CUMULUS_RPC_URL": other.url}, ok=False)
            assert done.returncode == 1 and "move cumulus-live.json away to deploy anew" in done.stderr
            assert other.web3().eth.block_number == 0  # nothing was sent there
        finally:
            other.stop()
    finally:
        chain.stop()


def test_development_refuses_a_chain_it_did_not_start(tmp_path):
    """Whatever listens on the development network's port (someone else's anvil) is never used."""
    from urllib.parse import urlparse

    from oracle.devchain import anvil_binary
    from oracle.networks import rpc_url

    port = urlparse(rpc_url("development")).port
    theirs = subprocess.Popen([anvil_binary(), "--host", "127.0.0.1", "--port", str(port), "--silent"])
    try:
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        for _ in range(300):
            if w3.is_connected():
                break
            time.sleep(0.1)
        w3.provider.make_request("evm_mine", [])  # it has a history of its own
        env = dict(os.environ, CUMULUS_DEPLOYMENTS_DIR=str(tmp_path))
        command = [str(Path(sys.executable).with_name("brownie")), "run", "scripts/deploy.py", "--network", "development"]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1
        assert done.stderr.strip().splitlines()[-1] == (
            f"error: a chain already listens at http://127.0.0.1:{port}, so brownie attached to it instead of "
            "starting its own: it may be someone else's. Free that port, or start your own anvil and use --network anvil")
        assert w3.eth.get_transaction_count("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266") == 0  # nothing was sent
        assert not (tmp_path / "development.json").exists()
    finally:
        theirs.terminate()
        theirs.wait(10)
