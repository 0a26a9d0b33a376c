"""The vanity app is self-contained (standard library only) and agrees with the project's Keccak and ABI code."""

import os
import subprocess
import sys
from pathlib import Path

from eth_abi import encode
from eth_hash.auto import keccak

VANITY = Path(__file__).resolve().parents[2] / "apps" / "vanity" / "vanity.py"
sys.path.insert(0, str(VANITY.parent))
import vanity  # noqa: E402

DEPLOYER = bytes.fromhex("15d34AAf54267DB7D7c367839AAf71A00a2C6A65")
CODE_HASH = keccak(b"cumulus demo contract")


def test_keccak_matches_for_every_one_block_length():
    for length in range(0, vanity.RATE):
        message = os.urandom(length)
        assert vanity.keccak256_block(message) == keccak(message), length


def test_batch_search_finds_the_first_salt():
    counter, address = vanity.search("c0d", DEPLOYER, CODE_HASH, 100_000)
    expected = next(i for i in range(100_000)
                    if keccak(b"\xff" + DEPLOYER + i.to_bytes(32, "big") + CODE_HASH)[12:].hex().startswith("c0d"))
    assert counter == expected
    assert address == keccak(b"\xff" + DEPLOYER + counter.to_bytes(32, "big") + CODE_HASH)[12:]


def test_callback_is_the_abi_encoding():
    salt = os.urandom(32)
    assert vanity.callback_data(salt, "beef", DEPLOYER, CODE_HASH) == encode(
        ["bytes32", "string", "address", "bytes32"], [salt, "beef", "0x" + DEPLOYER.hex(), CODE_HASH])


def test_runs_on_a_plain_python_with_no_site_packages(tmp_path):
    callback = tmp_path / "callback"
    proc = subprocess.run(["/usr/bin/python3", "-S", "-I", str(VANITY), "be", "0x" + DEPLOYER.hex(),
                           "0x" + CODE_HASH.hex()], capture_output=True, text=True, timeout=120,
                          env={"CUMULUS_CALLBACK_FILE": str(callback), "PATH": "/usr/bin"})
    assert proc.returncode == 0, proc.stderr
    counter = int(proc.stdout.split()[-1]) - 1
    assert proc.stdout.startswith("address 0xbe")
    assert callback.read_bytes() == vanity.callback_data(counter.to_bytes(32, "big"), "be", DEPLOYER, CODE_HASH)
