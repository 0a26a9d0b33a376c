"""`cumulus grid signup`: a dapp developer's grid account from their Ethereum key, then `xw` with it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from offchain_grid.cli import cli as xw
from sdk.cli import cli

from ..grid.procs import Scheduler
from .conftest import PASSWORD


@pytest.fixture
def scheduler(tmp_path):
    started = Scheduler(tmp_path, f"sqlite:///{tmp_path / 'grid.db'}", lease=10.0, alive=10.0).start()
    yield started
    started.stop()


def test_signup_with_a_keystore_saves_the_token_for_xw(scheduler, tmp_path, monkeypatch):
    config = tmp_path / "xw.json"
    monkeypatch.setenv("XW_CONFIG", str(config))
    monkeypatch.delenv("XW_SERVER", raising=False)
    monkeypatch.delenv("XW_TOKEN", raising=False)
    runner = CliRunner()
    env = {"CUMULUS_KEYSTORE_PASSWORD": PASSWORD}
    keystore = tmp_path / "dev.json"
    address = json.loads(runner.invoke(cli, ["wallet", "create", "--keystore", str(keystore), "--json"],
                                       env=env).stdout)["address"]
    result = runner.invoke(cli, ["grid", "signup", "--scheduler", scheduler.url, "--keystore", str(keystore),
                                 "--save", "--json"], env=env)
    assert result.exit_code == 0, result.output
    user = json.loads(result.stdout)
    assert user["address"] == address and user["name"] == address
    assert json.loads(config.read_text()) == {"server": scheduler.url, "token": user["token"]}
    assert config.stat().st_mode & 0o777 == 0o600
    sent = runner.invoke(xw, ["sendapp", "mytool", "DEPLOYABLE", "x86_64", "linux", "/bin/echo", "--json"])
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["owner"] == address


def test_signup_errors_are_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["grid", "signup", "--scheduler", "http://127.0.0.1:9"],
                                env={"CUMULUS_PRIVATE_KEY": "0x" + "42" * 32})
    assert result.exit_code == 1 and result.output.splitlines() == [
        "Error: cannot reach the scheduler at http://127.0.0.1:9"]
