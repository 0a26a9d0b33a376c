"""Follows the Hub's TaskRequested events of one pool with eth_getLogs over a persistent cursor,
a confirmation depth, and reorg detection by block hash.

Where a reorg forked is decided by pure functions (forks.py); the listener does the reads around
them. It remembers the full hash of each of its last `window` blocks (SeenBlock) and a prefix of
the hash of every block it processed within `horizon` blocks (HashRun). A reorg within the window
is found from one batch of the window's hashes; a deeper one is traced through the prefixes to
its exact fork, FAN blocks asked from the node per round; one deeper than everything remembered
is replayed from the Hub's deployment. Blocks are hashed before their logs are read, each must
name the block before it as its parent (the first one, the cursor's block as remembered), and
logs of a block whose hash changed meanwhile are read again: what is stored is one chain, the
blocks whose logs were processed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import groupby

from eth_utils import event_abi_to_log_topic
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select
from web3 import Web3
from web3.contract import Contract

from .chain_reads import block_hashes, block_links
from .forks import PREFIX_BYTES, Ask, as_remembered, chained, find_fork, locate_fork, prefix, same
from .hub import TaskRequested, decode_task_requested
from .models import Cursor, HashRun, SeenBlock

log = logging.getLogger("oracle.listener")

KEEP_HASHES = 256  # every block's full hash this far back
RUN = 1024  # blocks per HashRun row (8 KB of prefixes)
HORIZON = 2**18  # blocks whose prefixes are kept (2 MB; 36 days of 12-second blocks): a reorg deeper replays
# from the Hub's deployment, and an oracle catching up hashes no older block
UNKNOWN = "unknown"  # a block missing from the prefixes: compares as replaced, so the replay starts lower


@dataclass
class Batch:
    """What one poll found: new requests in confirmed blocks, and a reorg's fork point if any."""

    requests: list[TaskRequested]
    fork_block: int | None  # blocks above this were replaced
    to_block: int  # the cursor after this batch
    hashes: dict[int, str] = field(default_factory=dict)  # of each block read, from the old cursor (or fork) + 1


class EventListener:
    def __init__(self, w3: Web3, hub: Contract, pool: int, engine: Engine, *, start_block: int,
                 confirmations: int = 1, max_range: int = 2_000, window: int = KEEP_HASHES, horizon: int = HORIZON):
        self.w3 = w3
        self.hub = hub
        self.pool = pool
        self.engine = engine
        self.start_block = start_block  # nothing of interest before (the Hub's deployment)
        self.confirmations = confirmations
        self.max_range = max_range  # blocks per eth_getLogs call
        self.window = window
        self.horizon = horizon
        self.key = f"{w3.eth.chain_id}:{hub.address}:{pool}"
        self._topic0 = "0x" + event_abi_to_log_topic(hub.events.TaskRequested.abi).hex()
        self._pool_topic = "0x" + pool.to_bytes(32, "big").hex()

    def cursor(self) -> int:
        with Session(self.engine) as session:
            row = session.get(Cursor, self.key)
            return row.block if row else self.start_block - 1

    def poll(self) -> Batch:
        """Reads the next confirmed blocks' requests; rewinds first if a reorg replaced blocks
        already processed. The caller stores the batch and then calls `commit`."""
        cursor = self.cursor()
        head = self.w3.eth.block_number
        fork = self._detect_reorg(head)
        if fork is not None:
            log.warning("reorg: the chain forked after block %d; replaying from block %d", fork, fork + 1)
            cursor = fork
        safe = head - self.confirmations + 1
        to_block = min(safe, cursor + self.max_range)
        if to_block <= cursor:
            return Batch([], fork, cursor)
        # blocks older than the horizon are not hashed (a reorg that deep replays from the deployment)
        first = max(cursor + 1, safe - self.horizon + 1)
        read = {}
        if first <= to_block:
            base = self._remembered(cursor) if first == cursor + 1 else None
            read = chained(base, block_links(self.w3, range(first, to_block + 1), head))
            if not read:  # the block before them is no longer canonical: the next poll finds the fork
                log.info("block %d was replaced while the next ones were read; reading them again", cursor)
                return Batch([], fork, cursor)
            to_block = max(read)
        events = self._events(cursor + 1, to_block)
        moved = [e for e in events if read.get(e.block_number, e.block_hash) != e.block_hash]
        if moved:
            log.info("block %d changed while it was read; reading it again", moved[0].block_number)
            return Batch([], fork, cursor)
        return Batch(events, fork, to_block, read)

    def _events(self, from_block: int, to_block: int) -> list:
        """The followed events of these blocks, decoded: the pool's requests (a listener of other
        events overrides this; each event needs a `block_number` and a `block_hash`)."""
        logs = self.w3.eth.get_logs({
            "address": self.hub.address, "fromBlock": from_block, "toBlock": to_block,
            "topics": [self._topic0, None, self._pool_topic],  # topics: event, taskId, pool
        })
        return [decode_task_requested(self.hub, entry) for entry in logs]

    def commit(self, session: Session, batch: Batch) -> None:
        """Moves the cursor and remembers the batch's block hashes, in the caller's transaction (so
        events are recorded and the cursor moved together)."""
        if batch.fork_block is not None:
            session.exec(delete(SeenBlock).where(SeenBlock.key == self.key, col(SeenBlock.number) > batch.fork_block))
            self._forget_prefixes_above(session, batch.fork_block)
        row = session.get(Cursor, self.key) or Cursor(key=self.key, block=self.start_block - 1)
        row.block = batch.to_block
        session.add(row)
        for number, block_hash in batch.hashes.items():
            if number > batch.to_block - self.window:
                session.merge(SeenBlock(key=self.key, number=number, hash=block_hash))
        session.exec(delete(SeenBlock).where(SeenBlock.key == self.key, col(SeenBlock.number) <= batch.to_block - self.window))
        self._keep_prefixes(session, batch.hashes)
        session.exec(delete(HashRun).where(HashRun.key == self.key, col(HashRun.run) < (batch.to_block - self.horizon) // RUN))

    # -- finding the fork ----------------------------------------------------------------------

    def _detect_reorg(self, head: int) -> int | None:
        with Session(self.engine) as session:
            rows = session.exec(select(SeenBlock).where(SeenBlock.key == self.key)
                                .order_by(col(SeenBlock.number).desc()).limit(self.window)).all()
        window = {row.number: row.hash for row in rows}
        newest = max(window) if window else self._newest_prefix()  # the window is empty right after a deep reorg
        if newest is None:
            return None
        seen = window.get(newest) or self._prefixes([newest])[newest]
        now = block_hashes(self.w3, [newest], head)[newest]
        if same(seen, now):  # the cheap check first: what is remembered is one chain
            return None
        if not window:
            return self._trace_fork(newest, seen, now)
        canonical = block_hashes(self.w3, window, head)
        fork = find_fork(window, canonical)
        lowest = min(window)
        if fork is None or fork >= lowest:
            return fork
        return self._trace_fork(lowest, window[lowest], canonical[lowest])

    def _remembered(self, number: int) -> str | None:
        """The block's hash as processed (or a prefix of it), None when not kept."""
        with Session(self.engine) as session:
            row = session.get(SeenBlock, (self.key, number))
        return row.hash if row else self._prefixes([number]).get(number)

    def _trace_fork(self, lowest: int, seen: str, now: str | None) -> int:
        """The fork of a reorg that replaced every block of the window, found through the prefixes:
        `lowest` is the lowest block known replaced (the window's lowest, or the newest prefix kept
        when the window is empty), `seen` its hash as processed, `now` as the node reports it."""
        first = self._oldest_prefix()
        if first is None or first > lowest:
            return self._replay_all(first)
        remembered, canonical, rounds = {lowest: seen}, {lowest: now}, 0
        while isinstance(step := locate_fork(first, lowest, remembered, canonical), Ask):
            kept = self._prefixes(step.numbers)
            remembered |= {n: kept.get(n, UNKNOWN) for n in step.numbers}
            canonical |= block_hashes(self.w3, step.numbers)
            rounds += 1
        if step < first:
            return self._replay_all(first)
        log.warning("reorg deeper than the %d blocks of full hashes: traced to its fork in %d rounds of node reads, "
                    "block %d is the last one unchanged", self.window, rounds, step)
        return step

    def _replay_all(self, oldest: int | None) -> int:
        log.warning("reorg deeper than every block remembered (the oldest: %s): replaying from block %d, the Hub's "
                    "deployment", oldest if oldest is not None else "none below the window", self.start_block)
        return self.start_block - 1

    # -- the prefixes of every block ---------------------------------------------------------------

    def _oldest_prefix(self) -> int | None:
        with Session(self.engine) as session:
            row = session.exec(select(HashRun).where(HashRun.key == self.key).order_by(col(HashRun.run))).first()
            return row.first if row else None

    def _newest_prefix(self) -> int | None:
        with Session(self.engine) as session:
            row = session.exec(select(HashRun).where(HashRun.key == self.key).order_by(col(HashRun.run).desc())).first()
            return row.first + len(row.prefixes) // PREFIX_BYTES - 1 if row else None

    def _prefixes(self, numbers) -> dict[int, str]:
        """{number: its kept prefix as `locate_fork` compares it}, for the numbers kept."""
        with Session(self.engine) as session:
            rows = session.exec(select(HashRun).where(HashRun.key == self.key,
                                                      col(HashRun.run).in_(sorted({n // RUN for n in numbers})))).all()
        found = {}
        for row in rows:
            for n in numbers:
                at = (n - row.first) * PREFIX_BYTES
                if n // RUN == row.run and 0 <= at < len(row.prefixes):
                    found[n] = as_remembered(row.prefixes[at:at + PREFIX_BYTES])
        return found

    def _keep_prefixes(self, session: Session, hashes: dict[int, str]) -> None:
        """Appends the prefixes of the batch's blocks (consecutive) after the last one kept."""
        numbers = sorted(hashes)
        if not numbers:
            return
        newest = session.exec(select(HashRun).where(HashRun.key == self.key).order_by(col(HashRun.run).desc())).first()
        if newest is not None and newest.first + len(newest.prefixes) // PREFIX_BYTES != numbers[0]:
            # a gap (blocks are processed in order and a fork cuts what is above it, so only when the
            # prefixes were lost): the search needs every block, so the prefixes start afresh here
            session.exec(delete(HashRun).where(HashRun.key == self.key))
            newest = None
        for run, group in groupby(numbers, key=lambda n: n // RUN):
            group = list(group)
            row = newest if newest is not None and newest.run == run else HashRun(
                key=self.key, run=run, first=group[0], prefixes=b"")
            row.prefixes = row.prefixes + b"".join(prefix(hashes[n]) for n in group)
            session.add(row)

    def _forget_prefixes_above(self, session: Session, fork: int) -> None:
        session.exec(delete(HashRun).where(HashRun.key == self.key, col(HashRun.run) > fork // RUN))
        row = session.get(HashRun, (self.key, fork // RUN))
        if row is None:
            return
        keep = max(0, fork - row.first + 1) * PREFIX_BYTES
        if keep:
            row.prefixes = row.prefixes[:keep]
            session.add(row)
        else:
            session.delete(row)
