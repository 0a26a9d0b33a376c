"""Only distinct qualifying workers of the pool, signing this task's result on this Hub, count;
any other signature is skipped with its reason, and never blocks the settlement."""

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

from helpers import DIGEST, OTHER_DIGEST, compact, err, finalize, open_task, signatures, skipped

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
BAD_SIGNATURE, NOT_ASCENDING, NOT_POOL_MEMBER, LEFT_POOL, STAKE_TOO_LOW, SCORE_TOO_LOW = range(6)
NOT_ENOUGH = err("NotEnoughContributions", 0, 1)


def _signed_elsewhere(hub, worker, request, domain, task_id=None, digest=DIGEST, data=b""):
    """A worker's signature made for another context, and the address the Hub recovers from it."""
    task_id = task_id or hub.taskIdOf(request)
    raw = sign_contribution(worker.private_key, domain, task_id, digest, callback_data_hash(data))
    here = hub_domain(chain.id, hub.address)
    recovered = recover_contributor(here, hub.taskIdOf(request), DIGEST, callback_data_hash(b""), raw)
    return compact(raw), recovered


def _with_good_one(hub, request, workers, bad):
    """`bad` beside a valid signature of the lowest worker, so that the task can still settle."""
    good = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    return [good, bad]


def test_duplicated_signature_counts_once(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=2)
    sig = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    with brownie.reverts(err("NotEnoughContributions", 1, 2)):
        hub.finalize(request, DIGEST, b"", [sig, sig], [], {"from": oracle})
    request = open_task(hub, rlc, user, app, pool, trust=1)
    sig = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    tx = hub.finalize(request, DIGEST, b"", [sig, sig], [], {"from": oracle})
    assert tx.events["TaskFinalized"]["workers"] == 1
    assert skipped(tx) == [(workers[0], NOT_ASCENDING)]


def test_descending_signers_skipped(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=1)
    low, high = signatures(hub, workers[:2], hub.taskIdOf(request))
    tx = hub.finalize(request, DIGEST, b"", [high, low], [], {"from": oracle})
    assert tx.events["TaskFinalized"]["workers"] == 1
    assert skipped(tx) == [(workers[0], NOT_ASCENDING)]


def test_non_pool_worker_does_not_count(hub, rlc, app, pool, user, oracle, outsider):
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(NOT_ENOUGH):
        finalize(hub, oracle, request, [outsider])


def test_non_pool_worker_is_skipped(hub, rlc, app, pool, user, oracle, workers, outsider):
    request = open_task(hub, rlc, user, app, pool)
    tx = finalize(hub, oracle, request, [workers[0], outsider])
    assert skipped(tx) == [(outsider, NOT_POOL_MEMBER)]
    assert tx.events["TaskFinalized"]["workers"] == 1


def test_worker_of_another_pool(hub, rlc, app, pool, user, oracle, outsider, pool_owner):
    from conftest import pool_config

    other = hub.registerPool(pool_config(pool_owner, oracle, min_stake=0), {"from": pool_owner}).return_value
    hub.joinPool(other, 0, {"from": outsider})
    request = open_task(hub, rlc, user, app, pool)
    with brownie.reverts(NOT_ENOUGH):
        finalize(hub, oracle, request, [outsider])


def test_signature_for_another_hub(hub, rlc, app, pool, user, oracle, workers, stranger):
    request = open_task(hub, rlc, user, app, pool)
    sig, recovered = _signed_elsewhere(hub, workers[0], request, hub_domain(chain.id, stranger.address))
    assert recovered != workers[0].address
    with brownie.reverts(NOT_ENOUGH):
        hub.finalize(request, DIGEST, b"", [sig], [], {"from": oracle})


def test_signature_for_another_chain(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    sig, recovered = _signed_elsewhere(hub, workers[0], request, hub_domain(chain.id + 1, hub.address))
    with brownie.reverts(NOT_ENOUGH):
        hub.finalize(request, DIGEST, b"", [sig], [], {"from": oracle})


def test_signature_under_another_domain_name(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    domain = SigningDomain("CumulusGrid", "1", chain.id, hub.address)
    sig, recovered = _signed_elsewhere(hub, workers[0], request, domain)
    with brownie.reverts(NOT_ENOUGH):
        hub.finalize(request, DIGEST, b"", [sig], [], {"from": oracle})


def test_signature_for_another_task(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    other = open_task(hub, rlc, user, app, pool)
    here = hub_domain(chain.id, hub.address)
    sig, recovered = _signed_elsewhere(hub, workers[0], request, here, task_id=hub.taskIdOf(other))
    good = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    ordered = sorted([(workers[0].address, good), (recovered, sig)], key=lambda pair: int(pair[0], 16))
    tx = hub.finalize(request, DIGEST, b"", [s for _, s in ordered], [], {"from": oracle})
    assert skipped(tx) == [(recovered, NOT_POOL_MEMBER)]


def test_replayed_on_identical_request(hub, rlc, app, pool, user, oracle, workers, chain):
    first = open_task(hub, rlc, user, app, pool)
    chain.sleep(1)
    second = open_task(hub, rlc, user, app, pool)  # same spec, later: another task id
    sigs = signatures(hub, workers[:1], hub.taskIdOf(first))
    hub.finalize(first, DIGEST, b"", sigs, [], {"from": oracle})
    with brownie.reverts(err("TaskNotActive", hub.taskIdOf(first), 2)):
        hub.finalize(first, DIGEST, b"", sigs, [], {"from": oracle})
    with brownie.reverts(NOT_ENOUGH):
        hub.finalize(second, DIGEST, b"", sigs, [], {"from": oracle})
    assert hub.taskStatus(hub.taskIdOf(second)) == 1


def test_oracle_cannot_change_the_digest(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    sigs = signatures(hub, workers[:1], hub.taskIdOf(request), DIGEST)
    with brownie.reverts(NOT_ENOUGH):
        hub.finalize(request, OTHER_DIGEST, b"", sigs, [], {"from": oracle})


def test_oracle_cannot_change_the_callback_data(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    sigs = signatures(hub, workers[:1], hub.taskIdOf(request), DIGEST, b"signed")
    with brownie.reverts(NOT_ENOUGH):
        hub.finalize(request, DIGEST, b"forged", sigs, [], {"from": oracle})
    hub.finalize(request, DIGEST, b"signed", sigs, [], {"from": oracle})


def test_zero_signature_skipped(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool, trust=1)
    tx = hub.finalize(request, DIGEST, b"", _with_good_one(hub, request, workers, (b"\x00" * 32, b"\x00" * 32)), [],
                      {"from": oracle})
    assert skipped(tx) == [("0x" + "00" * 20, BAD_SIGNATURE)]


def test_high_s_signature_refused(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    r, _ = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    high_s = (N // 2 + 1).to_bytes(32, "big")  # below 2**255, so it fits in (r, vs)
    with brownie.reverts(NOT_ENOUGH):
        hub.finalize(request, DIGEST, b"", [(r, high_s)], [], {"from": oracle})


def test_flipped_parity_is_another_signer(hub, rlc, app, pool, user, oracle, workers):
    request = open_task(hub, rlc, user, app, pool)
    r, vs = signatures(hub, workers[:1], hub.taskIdOf(request))[0]
    flipped = (int.from_bytes(vs, "big") ^ (1 << 255)).to_bytes(32, "big")
    with brownie.reverts(NOT_ENOUGH):
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
    with brownie.reverts(NOT_ENOUGH):
        hub.finalize(request, DIGEST, b"", [compact(raw)], [], {"from": oracle})
