#!/usr/bin/env python3
"""Grid app: find the first CREATE2 salt whose contract address starts with a hex prefix.

Usage: vanity.py PREFIX DEPLOYER INIT_CODE_HASH [MAX_TRIES]

Deterministic (salts are tried from 0 upwards), so every replica finds the same salt and the
workers' results agree. Writes the answer to stdout and, for the on-chain callback,
abi.encode(bytes32 salt, string prefix, address deployer, bytes32 initCodeHash) to the file
named by CUMULUS_CALLBACK_FILE.
"""

import os
import sys

from eth_abi import encode
from eth_hash.auto import keccak


def create2_address(deployer: bytes, salt: bytes, init_code_hash: bytes) -> bytes:
    return keccak(b"\xff" + deployer + salt + init_code_hash)[12:]


def search(prefix: str, deployer: bytes, init_code_hash: bytes, max_tries: int) -> tuple[int, bytes]:
    wanted = prefix.lower()
    for counter in range(max_tries):
        salt = counter.to_bytes(32, "big")
        address = create2_address(deployer, salt, init_code_hash)
        if address.hex().startswith(wanted):
            return counter, address
    raise LookupError(f"no salt below {max_tries} gives prefix {prefix}")


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    prefix, deployer_hex, code_hash_hex = argv[:3]
    max_tries = int(argv[3]) if len(argv) == 4 else 50_000_000
    try:
        int(prefix, 16)
        deployer = bytes.fromhex(deployer_hex.removeprefix("0x"))
        init_code_hash = bytes.fromhex(code_hash_hex.removeprefix("0x"))
        if len(deployer) != 20 or len(init_code_hash) != 32 or len(prefix) > 8:
            raise ValueError("deployer must be 20 bytes, init code hash 32 bytes, prefix at most 8 digits")
    except ValueError as exc:
        print(f"invalid arguments: {exc}", file=sys.stderr)
        return 2
    try:
        counter, address = search(prefix, deployer, init_code_hash, max_tries)
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    salt = counter.to_bytes(32, "big")
    print(f"address 0x{address.hex()} salt 0x{salt.hex()} tries {counter + 1}")
    callback_file = os.environ.get("CUMULUS_CALLBACK_FILE")
    if callback_file:
        with open(callback_file, "wb") as handle:
            handle.write(encode(["bytes32", "string", "address", "bytes32"],
                                [salt, prefix, "0x" + deployer.hex(), init_code_hash]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
