"""A real anvil with the contracts deployed, and `cumulus` run through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from oracle.deployment import RLC_UNIT, deploy_all, fund
from oracle.devchain import start_anvil
from sdk.cli import cli

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """anvil, RLC and the Hub; the deployment file in a temporary folder."""
    anvil = start_anvil(accounts=12)
    folder = tmp_path_factory.mktemp("deployments")
    deployment = deploy_all(anvil.web3(), anvil.keys[0], "testnet")
    anvil.deployment = deployment
    anvil.deployment_file = deployment.save(folder)
    yield anvil
    anvil.stop()


@pytest.fixture
def cumulus(chain, monkeypatch):
    """Runs `cumulus ARGS` in this process against `chain`; `ok` asserts a zero exit."""
    for variable in ("CUMULUS_KEYSTORE", "CUMULUS_KEYSTORE_PASSWORD", "CUMULUS_PRIVATE_KEY", "CUMULUS_NETWORK"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CUMULUS_RPC_URL", chain.url)
    runner = CliRunner()

    def run(*args: str, ok: bool = True, env: dict | None = None, input: str | None = None):
        result = runner.invoke(cli, [*args, "--deployment", str(chain.deployment_file)] if _takes_chain(args) else
                               list(args), env=env, input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    run.json = lambda *args, **kw: json.loads(run(*args, "--json", **kw).stdout)
    return run


def _takes_chain(args) -> bool:
    """Commands that read the chain get the test's --deployment unless they name one."""
    return ("--help" not in args and "--deployment" not in args
            and tuple(args[:2]) not in (("wallet", "create"), ("grid", "signup")))


def key_env(key) -> dict:
    return {"CUMULUS_PRIVATE_KEY": "0x" + bytes(key.key).hex()}


def give_rlc(chain, address: str, rlc: int) -> None:
    fund(chain.web3(), chain.keys[0], address, rlc=rlc * RLC_UNIT, deployment=chain.deployment)
