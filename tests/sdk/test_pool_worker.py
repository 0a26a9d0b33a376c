"""`cumulus pool` and `cumulus worker` on a real chain: a pool's life and a worker's, by their own keys."""

from __future__ import annotations

from .conftest import key_env

RLC = 10**9


def test_create_show_and_set_terms_by_the_owner_only(cumulus, chain):
    owner, oracle = chain.keys[2], chain.keys[3]
    terms = ["--price", "3", "--fee-bps", "1000", "--oracle", oracle.address, "--min-stake", "10",
             "--max-duration", "60", "--callback-gas-price", "0"]
    created = cumulus.json("pool", "create", *terms, env=key_env(owner))
    pool = created["pool"]
    assert created["terms"]["owner"] == owner.address and created["terms"]["price"] == 3 * RLC
    incomplete = cumulus("pool", "create", "--price", "3", ok=False, env=key_env(owner))
    assert incomplete.exit_code == 1 and incomplete.output.startswith("Error: a new pool needs --fee-bps")
    changed = cumulus.json("pool", "set-terms", str(pool), "--price", "4.5", "--fee-bps", "500", env=key_env(owner))
    assert (changed["terms"]["price"], changed["terms"]["ownerFeeBps"]) == (4_500_000_000, 500)
    assert changed["terms"]["oracle"] == oracle.address and changed["terms"]["minStake"] == 10 * RLC  # kept
    stranger = cumulus("pool", "set-terms", str(pool), "--price", "0", ok=False, env=key_env(chain.keys[9]))
    assert stranger.output.splitlines() == [
        f"Error: pool {pool} belongs to {owner.address}, not to {chain.keys[9].address}"]
    assert "price: 4.5 RLC" in cumulus("pool", "show", str(pool)).stdout
    bad = cumulus("pool", "create", *terms[:4], "--oracle", "0x12", *terms[6:], ok=False, env=key_env(owner))
    assert bad.output.splitlines() == ["Error: --oracle '0x12' is not an address"]


def test_a_worker_is_funded_joins_leaves_and_withdraws(cumulus, chain):
    owner = chain.keys[2]
    terms = ["--price", "1", "--fee-bps", "0", "--oracle", chain.keys[3].address, "--min-stake", "20",
             "--max-duration", "5", "--callback-gas-price", "0"]
    pool = cumulus.json("pool", "create", *terms, env=key_env(owner))["pool"]
    worker = chain.keys[10]
    funded = cumulus.json("worker", "fund", worker.address, "--rlc", "25", env=key_env(chain.keys[0]))
    assert funded["funded"] == [worker.address]
    too_little = cumulus("worker", "join", str(pool), "--stake", "5", ok=False, env=key_env(worker))
    assert too_little.exit_code == 1 and "InsufficientStake" in too_little.output
    joined = cumulus.json("worker", "join", str(pool), "--stake", "20", env=key_env(worker))
    assert (joined["pool"], joined["stake"]) == (pool, 20 * RLC)
    topped = cumulus.json("worker", "join", str(pool), "--stake", "5", env=key_env(worker))
    assert topped["stake"] == 25 * RLC
    cumulus("worker", "leave", env=key_env(worker))
    locked = cumulus("worker", "withdraw", ok=False, env=key_env(worker))
    assert locked.exit_code == 1 and "StakeLocked" in locked.output
    w3 = chain.web3()
    w3.provider.make_request("evm_increaseTime", [10])
    w3.provider.make_request("evm_mine", [])
    cumulus("worker", "withdraw", env=key_env(worker))
    shown = cumulus.json("worker", "show", "--address", worker.address)
    assert (shown["pool"], shown["stake"]) == (0, 0)
    assert cumulus.json("wallet", "show", "--address", worker.address)["rlc_nrlc"] == 25 * RLC
    poor = cumulus("worker", "fund", worker.address, "--rlc", "1", ok=False, env=key_env(chain.keys[9]))
    assert poor.output.splitlines()[0].endswith("nothing was sent")
