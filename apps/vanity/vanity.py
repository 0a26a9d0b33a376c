#!/usr/bin/env python3
"""Grid app: find the first CREATE2 salt whose contract address starts with a hex prefix.

Usage: vanity.py PREFIX DEPLOYER INIT_CODE_HASH [MAX_TRIES]

Deterministic (salts are tried from 0 upwards), so every replica finds the same salt and the
workers' results agree. Writes the answer to stdout and, for the on-chain callback,
abi.encode(bytes32 salt, string prefix, address deployer, bytes32 initCodeHash) to the file
named by CUMULUS_CALLBACK_FILE.

Self-contained: it runs confined on any worker with a plain python3, so it imports nothing
beyond the standard library. Keccak-256 (Ethereum's hash, not hashlib's sha3_256) is computed
here on many salts at once: each of the 25 state lanes is one Python integer holding that
lane for BATCH candidates side by side (64 bits each), so every XOR, AND and rotation works on
the whole batch in one big-integer operation.
"""

import os
import sys
from array import array

BATCH = 512  # salts hashed together
RATE = 136  # Keccak-256 absorbs 136-byte blocks
MASK = (1 << 64) - 1
ROUND_CONSTANTS = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
# Rotation of lane x + 5y, and where rho-pi moves it (lane index y + 5(2x + 3y)).
ROTATIONS = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14]
DESTINATIONS = [y + 5 * ((2 * x + 3 * y) % 5) for y in range(5) for x in range(5)]
SOURCES = [0] * 25
for _source, _destination in enumerate(DESTINATIONS):
    SOURCES[_destination] = _source


def _repeat(word: int, count: int) -> int:
    """`word` (64 bits) in each of `count` fields."""
    return int.from_bytes(word.to_bytes(8, "little") * count, "little")


class KeccakBatch:
    """Keccak-256 of `count` one-block messages at once."""

    def __init__(self, count: int):
        self.count = count
        self.constants = [_repeat(rc, count) for rc in ROUND_CONSTANTS]
        self.high = [_repeat((MASK << n) & MASK, count) for n in range(64)]  # bits a left rotation keeps
        self.low = [_repeat((1 << n) - 1, count) for n in range(64)]  # bits a left rotation wraps around

    def _rotate(self, lane: int, n: int) -> int:
        if n == 0:
            return lane
        return ((lane << n) & self.high[n]) | ((lane >> (64 - n)) & self.low[n])

    def permute(self, lanes: list[int]) -> list[int]:
        """Keccak-f[1600] on every field of the 25 lanes."""
        a = lanes
        rotate = self._rotate
        for constant in self.constants:
            columns = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
            mix = [columns[(x - 1) % 5] ^ rotate(columns[(x + 1) % 5], 1) for x in range(5)]
            b = [rotate(a[s] ^ mix[s % 5], ROTATIONS[s]) for s in SOURCES]
            a = [b[i] ^ (~b[i - i % 5 + (i + 1) % 5] & b[i - i % 5 + (i + 2) % 5]) for i in range(25)]
            a[0] ^= constant
        return a

    def digests_lane(self, blocks: list[bytes], lane: int) -> array:
        """Lane `lane` of the final state (bytes 8*lane.. of each digest), one 64-bit word per message."""
        lanes = [int.from_bytes(b"".join(block[8 * i:8 * i + 8] for block in blocks), "little") for i in range(17)]
        state = self.permute(lanes + [0] * 8)
        words = array("Q")
        words.frombytes(state[lane].to_bytes(8 * self.count, "little"))
        if sys.byteorder == "big":
            words.byteswap()
        return words


def keccak256_block(message: bytes) -> bytes:
    """Keccak-256 of a message shorter than one block (used to check the batch code)."""
    block = _padded(message)
    state = KeccakBatch(1).permute([int.from_bytes(block[8 * i:8 * i + 8], "little") for i in range(17)] + [0] * 8)
    return b"".join(state[i].to_bytes(8, "little") for i in range(4))


def _padded(message: bytes) -> bytes:
    if len(message) >= RATE:
        raise ValueError("one block only")
    block = bytearray(message + b"\x01" + bytes(RATE - len(message) - 1))
    block[-1] |= 0x80
    return bytes(block)


def search(prefix: str, deployer: bytes, init_code_hash: bytes, max_tries: int) -> tuple[int, bytes]:
    """The first counter whose salt gives an address starting with `prefix`, and that address."""
    # The address is digest[12:32]; its first 4 bytes are the high half of lane 1.
    wanted = bytes.fromhex(prefix.lower().ljust(8, "0"))
    mask = bytes.fromhex(("f" * len(prefix)).ljust(8, "0"))
    target, select = int.from_bytes(wanted, "little"), int.from_bytes(mask, "little")
    hasher = KeccakBatch(BATCH)
    head = b"\xff" + deployer
    for start in range(0, max_tries, BATCH):
        count = min(BATCH, max_tries - start)
        blocks = [_padded(head + (start + i).to_bytes(32, "big") + init_code_hash) for i in range(count)]
        blocks += [blocks[-1]] * (BATCH - count)
        for i, word in enumerate(hasher.digests_lane(blocks, 1)[:count]):
            if (word >> 32) & select == target:
                counter = start + i
                salt = counter.to_bytes(32, "big")
                return counter, keccak256_block(head + salt + init_code_hash)[12:]
    raise LookupError(f"no salt below {max_tries} gives prefix {prefix}")


def callback_data(salt: bytes, prefix: str, deployer: bytes, init_code_hash: bytes) -> bytes:
    """abi.encode(bytes32, string, address, bytes32): four head words, then the string."""
    text = prefix.encode()
    return (salt + (4 * 32).to_bytes(32, "big") + bytes(12) + deployer + init_code_hash
            + len(text).to_bytes(32, "big") + text + bytes(-len(text) % 32))


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    prefix, deployer_hex, code_hash_hex = argv[:3]
    try:
        max_tries = int(argv[3]) if len(argv) == 4 else 50_000_000
        int(prefix, 16)
        deployer = bytes.fromhex(deployer_hex.removeprefix("0x"))
        init_code_hash = bytes.fromhex(code_hash_hex.removeprefix("0x"))
        if len(deployer) != 20 or len(init_code_hash) != 32 or len(prefix) > 8 or max_tries < 1:
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
            handle.write(callback_data(salt, prefix, deployer, init_code_hash))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
