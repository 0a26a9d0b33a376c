"""The right chain or a clear error: a deployment file is used only on the chain it was made on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from oracle.deployment import Deployment, deploy_all, genesis_hash
from oracle.devchain import start_anvil
from oracle.errors import WrongChain


@pytest.fixture(scope="module")
def chains():
    """Two anvils with the same chain id (31337): a restarted local chain, or someone else's."""
    ours, theirs = start_anvil(), start_anvil()
    while genesis_hash(theirs.web3()) == genesis_hash(ours.web3()):  # started within the same second
        theirs.stop()
        theirs = start_anvil()
    yield ours, theirs
    ours.stop()
    theirs.stop()


@pytest.fixture(scope="module")
def deployment(chains, tmp_path_factory):
    ours, _ = chains
    recorded = deploy_all(ours.web3(), ours.keys[0], "local")
    recorded.save(tmp_path_factory.mktemp("deployments"))
    return recorded


def test_the_deployment_records_the_chains_first_block(deployment, chains):
    ours, _ = chains
    assert deployment.genesis_hash == "0x" + bytes(ours.web3().eth.get_block(0)["hash"]).hex()
    deployment.check(ours.web3(), ours.url)  # the chain it was made on passes


def test_another_chain_with_the_same_id_is_refused(deployment, chains):
    _, theirs = chains
    assert theirs.web3().eth.chain_id == deployment.chain_id
    with pytest.raises(WrongChain, match="its block 0 differs"):
        deployment.check(theirs.web3(), theirs.url)


def test_another_chain_id_is_refused(deployment, chains):
    ours, _ = chains
    other = Deployment(**{**deployment.__dict__, "chain_id": 4242})
    with pytest.raises(WrongChain, match="has chain id 31337, but .* chain id 4242"):
        other.check(ours.web3(), ours.url)


def test_an_address_without_a_hub_is_refused(deployment, chains):
    ours, _ = chains
    other = Deployment(**{**deployment.__dict__, "hub": "0x" + "11" * 20})
    with pytest.raises(WrongChain, match="no Hub at"):
        other.check(ours.web3(), ours.url)


def test_a_deployment_file_that_is_not_one_is_one_line(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    with pytest.raises(Exception, match="is not a deployment file") as caught:
        Deployment.read(bad)
    assert "\n" not in str(caught.value)


def test_oracle_run_refuses_another_chain_before_any_transaction(deployment, chains, tmp_path):
    ours, theirs = chains
    oracle_key = theirs.keys[3]
    path = tmp_path / "local.json"
    deployment.save(tmp_path)
    env = dict(os.environ, ORACLE_PRIVATE_KEY="0x" + bytes(oracle_key.key).hex())
    nonce_before = theirs.web3().eth.get_transaction_count(oracle_key.address)
    done = subprocess.run(
        [sys.executable, "-m", "oracle.cli", "run", "--rpc-url", theirs.url, "--deployment", str(path),
         "--pool", "1", "--scheduler", "http://127.0.0.1:9", "--grid-token", "x",
         "--db", f"sqlite:///{tmp_path / 'oracle.db'}"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: the chain at {theirs.url} is not the one the 'local' deployment was made on "
        "(its block 0 differs): another chain, or a restarted local one, answers there"]
    assert theirs.web3().eth.get_transaction_count(oracle_key.address) == nonce_before
