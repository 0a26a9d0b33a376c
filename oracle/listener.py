"""Follows the Hub's TaskRequested events of one pool with eth_getLogs over a persistent cursor,
a confirmation depth, and reorg detection by block hash.

The pure part (`find_fork`) decides where a reorg forked from the hashes remembered and the
hashes the chain reports now; `EventListener.poll` does the I/O around it. The hashes of the
last KEEP_HASHES blocks are kept, and below them one block in CHECKPOINT_EVERY for good: a reorg
deeper than the window is traced back against the node, checkpoint by checkpoint, to the
newest block that is still canonical, and replayed from there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from eth_utils import event_abi_to_log_topic
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select
from web3 import Web3
from web3.contract import Contract

from .chain_reads import block_hashes
from .hub import TaskRequested, decode_task_requested
from .models import Cursor, SeenBlock

log = logging.getLogger("oracle.listener")

KEEP_HASHES = 256  # every block's hash this far back
CHECKPOINT_EVERY = 32  # below the window, the hash of one block in this many is kept


def find_fork(remembered: dict[int, str], canonical: dict[int, str]) -> int | None:
    """The highest remembered block still on the canonical chain, when some remembered block is
    not; None when nothing changed. Both map block number -> hash."""
    changed = [n for n, h in remembered.items() if canonical.get(n) != h]
    if not changed:
        return None
    below = [n for n in remembered if n < min(changed) and canonical.get(n) == remembered[n]]
    return max(below) if below else min(remembered) - 1


@dataclass
class Batch:
    """What one poll found: new requests in confirmed blocks, and a reorg's fork point if any."""

    requests: list[TaskRequested]
    fork_block: int | None  # blocks above this were replaced
    to_block: int  # the cursor after this batch


class EventListener:
    def __init__(self, w3: Web3, hub: Contract, pool: int, engine: Engine, *, start_block: int,
                 confirmations: int = 1, max_range: int = 2_000):
        self.w3 = w3
        self.hub = hub
        self.pool = pool
        self.engine = engine
        self.start_block = start_block  # nothing of interest before (the Hub's deployment)
        self.confirmations = confirmations
        self.max_range = max_range  # blocks per eth_getLogs call
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
        fork = self._detect_reorg(cursor)
        if fork is not None:
            log.warning("reorg: blocks after %d were replaced; rewinding", fork)
            cursor = fork
        safe = self.w3.eth.block_number - self.confirmations + 1
        if safe <= cursor:
            return Batch([], fork, cursor)
        to_block = min(safe, cursor + self.max_range)
        return Batch(self._events(cursor + 1, to_block), fork, to_block)

    def _events(self, from_block: int, to_block: int) -> list:
        """The followed events of these blocks, decoded: the pool's requests (a listener of other
        events overrides this; each event needs a `block_number` and a `block_hash`)."""
        logs = self.w3.eth.get_logs({
            "address": self.hub.address, "fromBlock": from_block, "toBlock": to_block,
            "topics": [self._topic0, None, self._pool_topic],  # topics: event, taskId, pool
        })
        return [decode_task_requested(self.hub, entry) for entry in logs]

    def commit(self, session: Session, batch: Batch) -> None:
        """Moves the cursor and remembers block hashes, in the caller's transaction (so events are
        recorded and the cursor moved together)."""
        if batch.fork_block is not None:
            session.exec(delete(SeenBlock).where(SeenBlock.key == self.key, col(SeenBlock.number) > batch.fork_block))
        row = session.get(Cursor, self.key) or Cursor(key=self.key, block=self.start_block - 1)
        first_new = (row.block if batch.fork_block is None else batch.fork_block) + 1
        row.block = batch.to_block
        session.add(row)
        window = range(max(first_new, batch.to_block - KEEP_HASHES + 1), batch.to_block + 1)
        checkpoints = range(_next_checkpoint(first_new), window.start, CHECKPOINT_EVERY)
        for number, block_hash in block_hashes(self.w3, [*checkpoints, *window]).items():
            if block_hash is not None:
                session.merge(SeenBlock(key=self.key, number=number, hash=block_hash))
        session.exec(delete(SeenBlock).where(SeenBlock.key == self.key, col(SeenBlock.number) <= batch.to_block - KEEP_HASHES,
                                             col(SeenBlock.number) % CHECKPOINT_EVERY != 0))

    def _detect_reorg(self, cursor: int) -> int | None:
        with Session(self.engine) as session:
            rows = session.exec(
                select(SeenBlock).where(SeenBlock.key == self.key).order_by(col(SeenBlock.number).desc()).limit(KEEP_HASHES)
            ).all()
        if not rows:
            return None
        remembered = {row.number: row.hash for row in rows}
        # cheap check first: the newest remembered block
        newest = max(remembered)
        if block_hashes(self.w3, [newest])[newest] == remembered[newest]:
            return None
        fork = find_fork(remembered, block_hashes(self.w3, remembered))
        if fork is not None and fork < min(remembered):
            fork = self._walk_back(min(remembered))
        return fork

    def _walk_back(self, below: int) -> int:
        """The newest checkpoint under `below` still on the canonical chain (every remembered
        block above it was replaced), or the block before the Hub's deployment."""
        with Session(self.engine) as session:
            rows = session.exec(select(SeenBlock).where(SeenBlock.key == self.key, col(SeenBlock.number) < below)
                                .order_by(col(SeenBlock.number).desc())).all()
        for start in range(0, len(rows), 64):
            chunk = rows[start:start + 64]
            canonical = block_hashes(self.w3, [r.number for r in chunk])
            for row in chunk:
                if canonical[row.number] == row.hash:
                    log.warning("reorg deeper than the %d remembered blocks: block %d is still canonical, "
                                "replaying from there", KEEP_HASHES, row.number)
                    return row.number
        log.warning("reorg deeper than the %d remembered blocks: none is still canonical, replaying from the "
                    "Hub's deployment", KEEP_HASHES)
        return self.start_block - 1


def _next_checkpoint(number: int) -> int:
    return -(-number // CHECKPOINT_EVERY) * CHECKPOINT_EVERY
