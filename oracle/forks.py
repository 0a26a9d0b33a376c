"""Where a reorg forked, decided from the block hashes the listener remembered and the hashes the
node reports now, apart from any I/O (the listener asks the node and reads its database).

The listener keeps the full hash of each of its last blocks (the window) and, for every block it
processed within its horizon, the first PREFIX_BYTES bytes of its hash: the fork is then exact at
any depth for 8 bytes a block. (Sparse checkpoints alone would leave up to a checkpoint interval of
blocks below the window to replay blindly. A replaced block passes for the one seen only if its
hash was ground to match 64 bits.)
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX_BYTES = 8  # of each block's hash kept below the window
FAN = 64  # blocks asked from the node in one batch per round of the search


@dataclass(frozen=True)
class Ask:
    """The node's hashes of these blocks decide the next step of the search."""

    numbers: tuple[int, ...]


def find_fork(remembered: dict[int, str], canonical: dict[int, str | None]) -> int | None:
    """The highest remembered block still on the canonical chain, when some remembered block is
    not; None when nothing changed. Both map block number -> hash; below everything remembered,
    the block before the lowest one."""
    changed = [n for n, h in remembered.items() if canonical.get(n) != h]
    if not changed:
        return None
    below = [n for n in remembered if n < min(changed) and canonical.get(n) == remembered[n]]
    return max(below) if below else min(remembered) - 1


def locate_fork(first: int, last: int, remembered: dict[int, str], canonical: dict[int, str | None],
                fan: int = FAN) -> int | None | Ask:
    """One step of the search for the fork among blocks `first`..`last`, every one of which was
    remembered (a full hash or a 0x-prefix of it). `remembered` and `canonical` hold what was read
    so far (the database's entry and the node's hash, None above its head); a block counts once
    both are known. Returns the fork (the highest block still canonical, with every remembered
    block above it replaced; `first - 1` when none is canonical), None when `last` is unchanged,
    or the blocks to read next."""
    known = sorted(n for n in canonical if n in remembered and first <= n <= last)
    replaced = [n for n in known if not same(remembered[n], canonical[n])]
    if not replaced:
        return None if last in known else Ask((last,))
    high = replaced[0]
    kept = [n for n in known if n < high]  # all still canonical: `high` is the lowest replaced
    low = kept[-1] if kept else first - 1
    if high - low == 1:
        return low
    # the block under the lowest replaced one first (a reorg just past a boundary takes one
    # round), then an even spread over the rest: each round narrows the gap `fan` times
    gap = high - low - 1
    spread = {low + 1 + (gap * i) // fan for i in range(fan - 1)}
    return Ask(tuple(sorted(spread | {high - 1})))


def chained(base: str | None, links: dict[int, tuple[str, str] | None]) -> dict[int, str]:
    """{number: hash} of the leading blocks of `links` (consecutive numbers -> (hash, parent hash),
    None past the node's head) that continue the chain remembered: the first one's parent is `base`
    (the hash or prefix remembered for the block before; None: not checked), each next one's parent
    the one before. What is kept is then always one chain, so its newest block still canonical
    means every block remembered is."""
    kept, parent = {}, base
    for number in sorted(links):
        link = links[number]
        if link is None or (parent is not None and not link[1].startswith(parent)):
            break
        kept[number], parent = link[0], link[0]
    return kept


def same(remembered: str, canonical: str | None) -> bool:
    """The block remembered (its hash or a prefix of it) is the canonical one."""
    return canonical is not None and canonical.startswith(remembered)


def prefix(block_hash: str) -> bytes:
    """The part of a 0x-hash kept below the window."""
    return bytes.fromhex(block_hash.removeprefix("0x"))[:PREFIX_BYTES]


def as_remembered(kept: bytes) -> str:
    """A kept prefix as `locate_fork` compares it (a 0x-hex start of the full hash)."""
    return "0x" + kept.hex()
