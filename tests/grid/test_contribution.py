"""EIP-712 contributions: our hand-built hash must equal eth-account's, and signatures recover."""

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from offchain_grid.contribution import (GRID_DOMAIN_NAME, HUB_DOMAIN_NAME, SigningDomain, callback_data_hash,
                                        contribution_hash, grid_domain, grid_task_id, hub_domain,
                                        recover_contributor, result_digest, sign_contribution, signed_by,
                                        typed_data, SECP256K1_N)

KEY = "0x" + "4c" * 32
HUB = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_grid_domain_is_fixed():
    assert grid_domain() == SigningDomain(GRID_DOMAIN_NAME, "1", 0, "0x" + "00" * 20)
    assert hub_domain(31337, HUB) == SigningDomain(HUB_DOMAIN_NAME, "1", 31337, HUB)


@pytest.mark.parametrize("domain", [grid_domain(), hub_domain(31337, HUB), hub_domain(1, HUB)])
def test_hash_matches_eth_account_typed_data(domain):
    task, digest, cb = grid_task_id("job-1"), result_digest(b"archive"), callback_data_hash(b"\x01\x02")
    expected = encode_typed_data(full_message=typed_data(domain, task, digest, cb))
    ours = contribution_hash(domain, task, digest, cb)
    assert ours == keccak(b"\x19" + expected.version + expected.header + expected.body)
    via_eth_account = Account.sign_message(expected, KEY).signature
    assert sign_contribution(KEY, domain, task, digest, cb) == bytes(via_eth_account)


def test_known_vector():
    # Computed once with eth-account's encode_typed_data and sign_message for the fixed key above.
    domain = hub_domain(31337, HUB)
    task = "0x" + "ab" * 32
    digest = "0x" + "cd" * 32
    cb = callback_data_hash(b"")
    assert cb.hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert contribution_hash(domain, task, digest, cb).hex() == KNOWN_HASH
    signature = sign_contribution(KEY, domain, task, digest, cb)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert recover_contributor(domain, task, digest, cb, signature) == Account.from_key(KEY).address


def test_recovery_detects_any_change():
    domain, task, digest, cb = grid_domain(), grid_task_id("j"), b"\x11" * 32, callback_data_hash(b"")
    signature = sign_contribution(KEY, domain, task, digest, cb)
    me = Account.from_key(KEY).address
    assert recover_contributor(domain, task, digest, cb, signature) == me
    assert recover_contributor(domain, task, b"\x12" * 32, cb, signature) != me
    assert recover_contributor(hub_domain(1, HUB), task, digest, cb, signature) != me
    assert recover_contributor(domain, grid_task_id("k"), digest, cb, signature) != me
    assert recover_contributor(domain, task, digest, callback_data_hash(b"x"), signature) != me


def test_grid_task_id_is_keccak_of_uid():
    assert grid_task_id("abc") == keccak(b"abc")


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        contribution_hash(grid_domain(), b"short", b"\x00" * 32, b"\x00" * 32)
    with pytest.raises(ValueError):
        recover_contributor(grid_domain(), b"\x00" * 32, b"\x00" * 32, b"\x00" * 32, b"\x00" * 64)


KNOWN_HASH = "86eab4b9b5ba4790d33d8143c6bd468b21356d28c11c57301158e40623ac19fd"


def test_signed_by_agrees_with_recovery_and_refuses_malformed_signatures():
    domain, task, digest, cb = grid_domain(), grid_task_id("job-2"), result_digest(b"a"), callback_data_hash(b"")
    me = Account.from_key(KEY).address
    signature = sign_contribution(KEY, domain, task, digest, cb)
    assert signed_by(domain, task, digest, cb, signature, me)
    assert signed_by(domain, task, digest, cb, "0x" + signature.hex(), me.lower())
    assert not signed_by(domain, task, digest, cb, signature, Account.from_key("0x" + "4d" * 32).address)
    assert not signed_by(domain, grid_task_id("job-3"), digest, cb, signature, me)
    r, s = signature[:32], int.from_bytes(signature[32:64], "big")
    high_s = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])  # the same point, malleated
    zero_r = b"\x00" * 32 + signature[32:]
    for bad in (signature[:64], signature + b"\x00", signature[:64] + b"\x1d", high_s, zero_r, b"\xff" * 65):
        assert not signed_by(domain, task, digest, cb, bad, me)
    with pytest.raises(ValueError, match="upper half"):
        recover_contributor(domain, task, digest, cb, high_s)
