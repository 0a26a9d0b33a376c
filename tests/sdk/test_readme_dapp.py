"""The README's dapp as written: the files `cumulus dapp new` writes, a contract that compiles,
an app that answers as the README says, arguments split as the README says."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from oracle.arguments import app_arguments
from sdk.cli import cli
from sdk.compile import compile_file
from sdk.dapps import TEMPLATES

from ..readme import code_blocks, section

DAPP = section("Writing your own dapp")


def test_the_readme_shows_what_dapp_new_writes(tmp_path):
    [solidity], [python] = code_blocks(DAPP, "solidity"), code_blocks(DAPP, "python")
    assert solidity == (TEMPLATES / "Dapp.sol").read_text() and python == (TEMPLATES / "app.py").read_text()
    result = CliRunner().invoke(cli, ["dapp", "new", "Adder", "--root", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    contract = (tmp_path / "contracts" / "dapps" / "Adder.sol").read_text()
    assert "contract Adder is Task" in contract and "SumDapp" not in contract and "sumDapp" not in contract
    assert os.access(tmp_path / "apps" / "adder" / "adder.py", os.X_OK)
    again = CliRunner().invoke(cli, ["dapp", "new", "Adder", "--root", str(tmp_path)])
    assert again.exit_code == 1 and "already exist" in again.output
    lower = CliRunner().invoke(cli, ["dapp", "new", "adder", "--root", str(tmp_path)])
    assert lower.exit_code == 1 and "is not a contract name" in lower.output


def test_the_readme_contract_compiles_as_written(tmp_path):
    [solidity] = code_blocks(DAPP, "solidity")
    source = tmp_path / "SumDapp.sol"
    source.write_text(solidity)
    compiled = compile_file(source)
    names = {entry.get("name") for entry in compiled["abi"]}
    assert {"price", "s_results", "onTaskResult", "receiveApproval", "ResultStored"} <= names
    assert len(compiled["bytecode"]) > 1000


def test_the_readme_app_answers_as_described(tmp_path):
    [python] = code_blocks(DAPP, "python")
    app = tmp_path / "sumdapp.py"
    app.write_text(python)
    callback = tmp_path / "callback"
    env = {"PATH": os.environ["PATH"], "CUMULUS_CALLBACK_FILE": str(callback)}
    done = subprocess.run([sys.executable, str(app), *app_arguments(b"3 4 '5'")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "12\n"
    assert callback.read_bytes() == (12).to_bytes(32, "big")
    bad = subprocess.run([sys.executable, str(app), "3", "four"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "not an integer" in bad.stderr


def test_arguments_are_split_as_the_readme_says():
    assert app_arguments("3 4 '5'") == ["3", "4", "5"]
    assert app_arguments(b"--size 3 'two words'") == ["--size", "3", "two words"]
    assert app_arguments(b"caf\xc3\xa9 \xff") == ["café", "\ufffd"]
