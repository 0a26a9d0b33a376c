"""A deployment file edited by hand, truncated or of another tool is refused with one line that
names the file and what is wrong, by every command that reads one."""

import json
import os
import subprocess
import sys

import pytest

from oracle.deployment import Deployment
from oracle.errors import DeploymentMissing

GOOD = {"network": "cumulus-live", "chain_id": 31337, "rlc": "0x" + "11" * 20, "hub": "0x" + "22" * 20,
        "start_block": 5, "pool": 1, "genesis_hash": "0x" + "ab" * 32, "dapps": {"Echo": "0x" + "33" * 20}}

BROKEN = [
    ("{not json", "is not a deployment file"),
    ("[1, 2]", "expected a JSON object, found list"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "hub"}), "missing field 'hub'"),
    (json.dumps({**GOOD, "owner": "me"}), "unknown field 'owner'"),
    (json.dumps({**GOOD, "chain_id": "31337"}), "field 'chain_id' must be a chain id"),
    (json.dumps({**GOOD, "start_block": -1}), "field 'start_block' must be a block number"),
    (json.dumps({**GOOD, "hub": "0x1234"}), "field 'hub' must be an address"),
    (json.dumps({**GOOD, "pool": True}), "field 'pool' must be a registry id"),
    (json.dumps({**GOOD, "genesis_hash": "0xzz"}), "field 'genesis_hash' must be a block hash"),
    (json.dumps({**GOOD, "dapps": {"Echo": 7}}), "field 'dapps' must be an object of names to addresses"),
]


def test_a_good_file_reads_back_equal(tmp_path):
    path = Deployment(**GOOD).write(tmp_path / "live.json")
    assert Deployment.read(path) == Deployment(**GOOD)
    assert Deployment.read(Deployment(**{**GOOD, "pool": None, "dapps": {}}).write(path)).pool is None


@pytest.mark.parametrize("text, reason", BROKEN)
def test_a_broken_file_names_itself_and_the_fault(tmp_path, text, reason):
    path = tmp_path / "live.json"
    path.write_text(text)
    with pytest.raises(DeploymentMissing) as caught:
        Deployment.read(path)
    message = str(caught.value)
    assert str(path) in message and reason in message and "\n" not in message
    assert "__init__" not in message and "positional argument" not in message


def test_a_file_that_is_not_text_is_refused(tmp_path):
    path = tmp_path / "live.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(DeploymentMissing, match="live.json"):
        Deployment.read(path)


COMMANDS = [
    ["orderbook", "serve", "--rpc-url", "http://127.0.0.1:9", "--db", "sqlite://"],
    ["oracle", "run", "--rpc-url", "http://127.0.0.1:9"],
    ["cumulus", "account", "show", "--rpc-url", "http://127.0.0.1:9"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("text, reason", [BROKEN[1], BROKEN[2], BROKEN[6]])
def test_each_command_says_one_line(tmp_path, command, text, reason):
    path = tmp_path / "live.json"
    path.write_text(text)
    env = {**os.environ, "ORACLE_PRIVATE_KEY": "0x" + "42" * 32, "CUMULUS_HOME": str(tmp_path)}
    module = {"orderbook": "orderbook", "oracle": "oracle.cli", "cumulus": "sdk.cli"}[command[0]]
    run = subprocess.run([sys.executable, "-m", module, *command[1:], "--deployment", str(path)], capture_output=True, text=True,
                         env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode != 0
    errors = run.stderr.strip().splitlines()
    assert "Traceback" not in run.stderr, run.stderr
    assert len(errors) == 1 and reason in errors[0] and "live.json" in errors[0], run.stderr
