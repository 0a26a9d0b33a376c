"""Keeps the book in step with the chain: follows the Hub's OrdersMatched and OrderCancelled
events with the oracle's listener (a persistent cursor, a confirmation depth, reorg detection),
re-reads the use of each order they name as of the confirmed block, and drops what is cancelled,
used up or expired. A reorg replays the events from the fork; re-reading is idempotent."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from eth_utils import event_abi_to_log_topic
from sqlalchemy.engine import Engine
from sqlmodel import Session

from oracle.listener import KEEP_HASHES, EventListener

from . import book
from .chain import ChainView

log = logging.getLogger("orderbook.follower")


@dataclass(frozen=True)
class OrderEvent:
    """An OrdersMatched or OrderCancelled log, as the book needs it."""

    digests: tuple[str, ...]  # 0x-hex digests it names (a match names three or four)
    cancelled_by: str | None  # the signer, for OrderCancelled
    block_number: int
    block_hash: str


class OrderEventListener(EventListener):
    """The oracle's listener, following the market's events of every pool under its own cursor."""

    def __init__(self, chain: ChainView, engine: Engine, *, start_block: int, confirmations: int):
        super().__init__(chain.w3, chain.hub, 0, engine, start_block=start_block, confirmations=confirmations)
        self.key = f"{chain.domain.chain_id}:{chain.hub.address}:orders"
        events = chain.hub.events
        self._matched = "0x" + event_abi_to_log_topic(events.OrdersMatched.abi).hex()
        self._cancelled = "0x" + event_abi_to_log_topic(events.OrderCancelled.abi).hex()

    def _events(self, from_block: int, to_block: int) -> list[OrderEvent]:
        logs = self.w3.eth.get_logs({"address": self.hub.address, "fromBlock": from_block, "toBlock": to_block,
                                     "topics": [[self._matched, self._cancelled]]})
        return [self._decode(entry) for entry in logs]

    def _decode(self, entry) -> OrderEvent:
        where = dict(block_number=entry["blockNumber"], block_hash="0x" + bytes(entry["blockHash"]).hex())
        if "0x" + bytes(entry["topics"][0]).hex() == self._cancelled:
            args = self.hub.events.OrderCancelled().process_log(entry)["args"]
            return OrderEvent(("0x" + bytes(args["orderHash"]).hex(),), args["signer"], **where)
        args = self.hub.events.OrdersMatched().process_log(entry)["args"]
        named = (args["appOrder"], args["datasetOrder"], args["poolOrder"], args["requestOrder"])
        return OrderEvent(tuple("0x" + bytes(d).hex() for d in named if any(bytes(d))), None, **where)


class Follower:
    def __init__(self, chain: ChainView, engine: Engine, lock, *, start_block: int, confirmations: int):
        self.chain = chain
        self.engine = engine
        self.lock = lock  # the API's writer lock
        self.listener = OrderEventListener(chain, engine, start_block=start_block, confirmations=confirmations)

    def step(self) -> None:
        """One round: the next confirmed blocks' events, then the expired orders."""
        batch = self.listener.poll()
        with self.lock, Session(self.engine) as session:
            revived = book.revive(session, self.chain, batch.fork_block) if batch.fork_block is not None else 0
            dropped = 0
            for event in batch.requests:
                if event.cancelled_by and book.mark_cancelled(session, event.cancelled_by, event.digests[0],
                                                              event.block_number):
                    dropped += 1
            matched = {d for event in batch.requests if event.cancelled_by is None for d in event.digests}
            if matched:
                dropped += book.refresh(session, self.chain, matched, batch.to_block)
            book.forget_spent(session, batch.to_block - KEEP_HASHES)
            self.listener.commit(session, batch)
            session.commit()
            expired = book.drop_expired(session, self.chain.now())
        if dropped or expired or revived:
            log.info("blocks to %d: %d orders cancelled or used up, %d expired, %d back after a reorg",
                     batch.to_block, dropped, expired, revived)
