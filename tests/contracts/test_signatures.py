"""Only distinct staked workers of the pool, signing this task's result on this Hub, count."""

import brownie
from brownie import chain
from eth_account import Account

from offchain_grid.contribution import (
    SigningDomain,
    callback_data_hash,
    hub_domain,
    recover_contributor,
    sign_contribution,
)

from helpers import DIGEST, OTHER_DIGEST, compact, err, finalize, open_task, signatures

STRANGER_SIGNED = r"NotPoolWorker: 0x[0-9a-f]{40}, 1"  # recovered to an address nobody staked
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _signed_elsewhere(hub, worker, request, domain, task_id=None, digest=DIGEST, data=b""):
    """A worker's signature made for another context, and the address the Hub recovers from it."""
    task_id = task_id or hub.taskIdOf(request)
    raw = sign_contribution(worker.private_key, domain, task_id, digest, callback_data_hash(data))
    here = hub_domain(chain.id, hub.address)
    recovered = recover_contributor(here, hub.taskIdOf(request), DIGEST, callback_data_hash(b""), raw)
    return compact(raw), recovered


def test_duplicated_signature(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    sig = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    with brownie.reverts(err("SignersNotAscending", workers[0], workers[0])):
        hub.finalize(request, DIGEST, b"", [sig, sig], [], {"from": oracle})


def test_descending_signers(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    low, high = signatures(hub, workers[:2], hub.taskIdOf(request))
    with brownie.reverts(err("SignersNotAscending", workers[1], workers[0])):
        hub.finalize(request, DIGEST, b"", [high, low], [], {"from": oracle})


def test_non_pool_worker(hub, rlc, app, pool, user, oracle, outsider):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolWorker", outsider, pool)):
        finalize(hub, oracle, request, [outsider])


def test_worker_of_another_pool(hub, rlc, app, pool, user, oracle, outsider, pool_owner, deployer):
    other = hub.registerPool((pool_owner, 1, 0, oracle, 0, 60), {"from": pool_owner}).return_value
    hub.joinPool(other, 0, {"from": outsider})
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolWorker", outsider, pool)):
        finalize(hub, oracle, request, [outsider])


def test_stake_below_raised_minimum(hub, rlc, app, pool, user, oracle, workers, pool_owner):
    config = list(hub.s_pools(pool))
    stake = config[4]
    config[4] = stake + 1
    hub.updatePool(pool, config, {"from": pool_owner})
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("StakeBelowMinimum", workers[0], stake, stake + 1)):
        finalize(hub, oracle, request, workers[:1])


def test_signature_for_another_hub(hub, rlc, app, pool, user, oracle, workers, stranger):
    request = open_task(hub, rlc, user, app, pool)
    sig, recovered = _signed_elsewhere(hub, workers[0], request, hub_domain(chain.id, stranger.address))
    assert recovered != workers[0].address
    with brownie.reverts(err("NotPoolWorker", recovered, pool)):
        hub.finalize(request, DIGEST, b"", [sig], [], {"from": oracle})


def test_signature_for_another_chain(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    sig, recovered = _signed_elsewhere(hub, workers[0], request, hub_domain(chain.id + 1, hub.address))
    with brownie.reverts(err("NotPoolWorker", recovered, pool)):
        hub.finalize(request, DIGEST, b"", [sig], [], {"from": oracle})


def test_signature_under_another_domain_name(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    domain = SigningDomain("CumulusGrid", "1", chain.id, hub.address)
    sig, recovered = _signed_elsewhere(hub, workers[0], request, domain)
    with brownie.reverts(err("NotPoolWorker", recovered, pool)):
        hub.finalize(request, DIGEST, b"", [sig], [], {"from": oracle})


def test_signature_for_another_task(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    other = open_task(hub, rlc, user, app, pool)
    here = hub_domain(chain.id, hub.address)
    sig, recovered = _signed_elsewhere(hub, workers[0], request, here, task_id=hub.taskIdOf(other))
    with brownie.reverts(err("NotPoolWorker", recovered, pool)):
        hub.finalize(request, DIGEST, b"", [sig], [], {"from": oracle})


def test_replayed_on_identical_request(hub, rlc, app, pool, user, oracle, workers):
    first = open_task(hub, rlc, user, app, pool)
    second = open_task(hub, rlc, user, app, pool)  # same spec, next nonce: another task id
    sigs = signatures(hub, workers[:1], hub.taskIdOf(first))
    hub.finalize(first, DIGEST, b"", sigs, [], {"from": oracle})
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(first), 2)):
        hub.finalize(first, DIGEST, b"", sigs, [], {"from": oracle})
    with brownie.reverts(revert_pattern=STRANGER_SIGNED):
        hub.finalize(second, DIGEST, b"", sigs, [], {"from": oracle})
    assert hub.taskStatus(hub.taskIdOf(second)) == 1


def test_oracle_cannot_change_the_digest(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    sigs = signatures(hub, workers[:1], hub.taskIdOf(request), DIGEST)
    with brownie.reverts(revert_pattern=STRANGER_SIGNED):
        hub.finalize(request, OTHER_DIGEST, b"", sigs, [], {"from": oracle})


def test_oracle_cannot_change_the_callback_data(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    sigs = signatures(hub, workers[:1], hub.taskIdOf(request), DIGEST, b"signed")
    with brownie.reverts(revert_pattern=STRANGER_SIGNED):
        hub.finalize(request, DIGEST, b"forged", sigs, [], {"from": oracle})
    hub.finalize(request, DIGEST, b"signed", sigs, [], {"from": oracle})


def test_zero_signature(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    good = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    with brownie.reverts(err("InvalidSignature", 1)):
        hub.finalize(request, DIGEST, b"", [good, (b"\x00" * 32, b"\x00" * 32)], [], {"from": oracle})


def test_high_s_signature(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    r, _ = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    high_s = (N // 2 + 1).to_bytes(32, "big")  # below 2**255, so it fits in (r, vs)
    with brownie.reverts(err("InvalidSignature", 0)):
        hub.finalize(request, DIGEST, b"", [(r, high_s)], [], {"from": oracle})


def test_flipped_parity_is_another_signer(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    r, vs = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    flipped = (int.from_bytes(vs, "big") ^ (1 << 255)).to_bytes(32, "big")
    with brownie.reverts(revert_pattern=STRANGER_SIGNED):
        hub.finalize(request, DIGEST, b"", [(r, flipped)], [], {"from": oracle})


def test_contribution_hash_matches_offchain(hub):
    from offchain_grid.contribution import contribution_hash

    expected = contribution_hash(hub_domain(chain.id, hub.address), b"\x01" * 32, DIGEST, b"\x02" * 32)
    assert hub.contributionHash(b"\x01" * 32, DIGEST, b"\x02" * 32) == "0x" + expected.hex()


def test_worker_key_is_not_a_pool_key(hub, rlc, app, pool, user, oracle, workers):
    # a worker cannot finalize alone: only the oracle address submits
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(err("NotPoolOracle", workers[0], pool, oracle)):
        finalize(hub, workers[0], request, workers[:1])


def test_fresh_key_cannot_sign(hub, rlc, app, pool, user, oracle):
    request = open_task(hub, rlc, user, app, pool)
    key = Account.create()
    raw = sign_contribution(key.key, hub_domain(chain.id, hub.address), hub.taskIdOf(request), DIGEST,
                            callback_data_hash(b""))
    with brownie.reverts(err("NotPoolWorker", key.address, pool)):
        hub.finalize(request, DIGEST, b"", [compact(raw)], [], {"from": oracle})
