"""`cumulus app register` and `cumulus dataset register`: grid and chain in one step, by the owner's key."""

from __future__ import annotations

import pytest

from ..grid.procs import Scheduler
from .conftest import key_env


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grid")
    started = Scheduler(tmp, f"sqlite:///{tmp / 'grid.db'}", lease=10.0, alive=10.0).start()
    yield started
    started.stop()


@pytest.fixture
def owner_env(chain, scheduler, tmp_path, monkeypatch):
    monkeypatch.setenv("XW_CONFIG", str(tmp_path / "xw.json"))
    monkeypatch.delenv("XW_TOKEN", raising=False)
    monkeypatch.setenv("XW_SERVER", scheduler.url)
    return key_env(chain.keys[1])


def test_app_register_on_grid_and_chain_then_reuse(cumulus, chain, owner_env, tmp_path):
    app_file = tmp_path / "sum.py"
    app_file.write_text("#!/usr/bin/env python3\nprint(42)\n")
    first = cumulus.json("app", "register", str(app_file), "--name", "sum", "--price", "1.5", env=owner_env)
    owner = chain.keys[1].address
    assert first["owner"] == owner and first["reused"] is False and first["grid"] == "sum"
    shown = cumulus.json("app", "show", str(first["id"]))
    assert (shown["owner"], shown["price"], shown["uri"]) == (owner, 1_500_000_000, "sum")
    assert shown["checksum"] == "0x" + first["checksum"]
    again = cumulus.json("app", "register", str(app_file), "--name", "sum", "--price", "1.5", env=owner_env)
    assert again["id"] == first["id"] and again["reused"] is True
    assert "price: 1.5 RLC" in cumulus("app", "show", str(first["id"])).stdout
    app_file.write_text("#!/usr/bin/env python3\nprint(43)\n")  # other bytes under a taken name
    clash = cumulus("app", "register", str(app_file), "--name", "sum", "--price", "1", ok=False, env=owner_env)
    assert clash.exit_code == 1 and len(clash.output.splitlines()) == 1
    assert "the grid already has an app 'sum' with another checksum" in clash.output


def test_dataset_register_and_show(cumulus, chain, owner_env, tmp_path):
    data = tmp_path / "numbers.txt"
    data.write_text("1 2 3\n")
    first = cumulus.json("dataset", "register", str(data), "--price", "0.5", env=owner_env)
    again = cumulus.json("dataset", "register", str(data), "--price", "0.5", env=owner_env)
    assert again["id"] == first["id"] and again["grid"] == first["grid"] and again["reused"] is True
    shown = cumulus.json("dataset", "show", str(first["id"]))
    assert (shown["owner"], shown["price"], shown["uri"]) == (chain.keys[1].address, 500_000_000, first["grid"])


def test_a_token_bound_to_another_address_is_refused(cumulus, chain, owner_env, scheduler, tmp_path):
    token = cumulus.json("grid", "signup", "--scheduler", scheduler.url, env=key_env(chain.keys[2]))["token"]
    app_file = tmp_path / "x.py"
    app_file.write_text("print(1)\n")
    result = cumulus("app", "register", str(app_file), "--name", "x", "--price", "1", ok=False,
                     env={**owner_env, "XW_TOKEN": token})
    assert result.output.splitlines() == [
        f"Error: the grid token is bound to {chain.keys[2].address}, not to {chain.keys[1].address}: "
        "run `cumulus grid signup` with this key"]
    missing = cumulus("app", "show", "999", ok=False)
    assert missing.output.splitlines()[0].startswith("Error: no app 999 on the Hub")
