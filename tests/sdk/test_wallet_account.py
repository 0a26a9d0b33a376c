"""`cumulus wallet` and `cumulus account` on a real chain, with keystore files and environment keys."""

from __future__ import annotations

import json

from eth_account import Account

from sdk.cli import cli

from .conftest import PASSWORD, give_rlc, key_env


def test_wallet_create_writes_a_standard_keystore_and_never_overwrites(cumulus, tmp_path):
    keystore = tmp_path / "me.json"
    created = cumulus.json("wallet", "create", "--keystore", str(keystore), env={"CUMULUS_KEYSTORE_PASSWORD": PASSWORD})
    assert keystore.stat().st_mode & 0o777 == 0o600
    encrypted = json.loads(keystore.read_text())
    assert Account.from_key(Account.decrypt(encrypted, PASSWORD)).address == created["address"]
    again = cumulus("wallet", "create", "--keystore", str(keystore), ok=False, env={"CUMULUS_KEYSTORE_PASSWORD": PASSWORD})
    assert again.exit_code == 1 and again.output.splitlines() == [
        f"Error: {keystore} already exists: a keystore is never overwritten"]
    prompted = cumulus("wallet", "create", "--keystore", str(tmp_path / "asked.json"), input=f"{PASSWORD}\n{PASSWORD}\n")
    assert (tmp_path / "asked.json").exists() and prompted.exit_code == 0


def test_deposit_withdraw_and_show_with_a_keystore(cumulus, chain, tmp_path):
    keystore = tmp_path / "user.json"
    env = {"CUMULUS_KEYSTORE_PASSWORD": PASSWORD}
    address = cumulus.json("wallet", "create", "--keystore", str(keystore), env=env)["address"]
    chain.web3().eth.send_transaction({"from": chain.keys[0].address, "to": address, "value": 10**18})
    give_rlc(chain, address, 50)
    shown = cumulus.json("wallet", "show", "--keystore", str(keystore), env=env)
    assert shown == {"address": address, "eth_wei": 10**18, "rlc_nrlc": 50 * 10**9}
    deposited = cumulus("account", "deposit", "20", "--keystore", str(keystore), env=env)
    assert deposited.stdout.strip() == "deposited 20 RLC: escrow balance 20 RLC"
    withdrawn = cumulus.json("account", "withdraw", "2.5", "--keystore", str(keystore), env=env)
    assert withdrawn["balance_nrlc"] == 17_500_000_000 and withdrawn["address"] == address
    assert cumulus("account", "show", "--address", address).stdout.strip() == f"{address}  17.5 RLC in escrow"
    assert cumulus.json("wallet", "show", "--address", address)["rlc_nrlc"] == 32_500_000_000


def test_keys_from_the_environment_and_one_line_refusals(cumulus, chain, tmp_path):
    user = chain.keys[4]
    give_rlc(chain, user.address, 5)
    assert cumulus.json("account", "deposit", "1", env=key_env(user))["balance_nrlc"] == 10**9
    for args, env, message in [
        (("account", "deposit", "1"), {}, "Error: no key: give --keystore FILE (or set $CUMULUS_KEYSTORE), "
                                          "or set $CUMULUS_PRIVATE_KEY"),
        (("account", "deposit", "1"), {"CUMULUS_PRIVATE_KEY": "0x1234"},
         "Error: $CUMULUS_PRIVATE_KEY is not a private key (0x and 64 hex digits)"),
        (("account", "deposit", "1.0000000001"), key_env(user), "Error: '1.0000000001' is not an amount of RLC: "
                                                                "at least 0, in steps of 1 nRLC (0.000000001 RLC)"),
        (("account", "withdraw", "1000"), key_env(user), "InsufficientBalance"),
        (("account", "show", "--address", "0x12"), {}, "Error: '0x12' is not an Ethereum address"),
    ]:
        result = cumulus(*args, ok=False, env=env)
        assert result.exit_code == 1 and len(result.output.splitlines()) == 1, result.output
        assert message in result.output, result.output


def test_a_keystore_with_the_wrong_password_is_one_line(cumulus, tmp_path):
    keystore = tmp_path / "k.json"
    cumulus("wallet", "create", "--keystore", str(keystore), env={"CUMULUS_KEYSTORE_PASSWORD": PASSWORD})
    result = cumulus("account", "deposit", "1", "--keystore", str(keystore), ok=False,
                     env={"CUMULUS_KEYSTORE_PASSWORD": "wrong"})
    assert result.output.splitlines() == [f"Error: cannot unlock keystore {keystore}: wrong password"]
    (tmp_path / "junk.json").write_text("{}")
    junk = cumulus("account", "deposit", "1", "--keystore", str(tmp_path / "junk.json"), ok=False,
                   env={"CUMULUS_KEYSTORE_PASSWORD": "x"})
    assert junk.exit_code == 1 and len(junk.output.splitlines()) == 1 and "is not a keystore file" in junk.output


def test_another_chain_is_refused_before_any_transaction(cumulus, chain):
    from oracle.devchain import start_anvil

    other = start_anvil()
    try:
        user = chain.keys[5]
        result = cumulus("account", "deposit", "1", "--rpc-url", other.url, ok=False, env=key_env(user))
        assert result.exit_code == 1 and len(result.output.splitlines()) == 1
        assert "Error: no Hub at" in result.output or "its block 0 differs" in result.output
        assert other.web3().eth.get_transaction_count(user.address) == 0
    finally:
        other.stop()


def test_every_command_has_an_example_and_json_and_no_key_option():
    for group in cli.commands.values():
        assert "Example" in group.help, group.name
        for command in getattr(group, "commands", {group.name: group}).values():
            names = {option for param in command.params for option in param.opts}
            assert "Example" in command.help, (group.name, command.name)
            assert "--json" in names, (group.name, command.name)
            assert not any("private-key" in n or n == "--key" for n in names), (group.name, command.name)
