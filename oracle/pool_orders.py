"""The pool's orders on the market: the oracle offers what its alive workers can deliver, and
takes back an offer as soon as they can no longer deliver it.

What the pool can deliver is read from both sides: the grid says which workers are alive, the Hub
says which of them are active members of the pool, with what stake and reputation. The decision
(`plan`) is pure; `PoolOrders.step` does the I/O around it. An order promising more than the
workers now give (more agreeing workers, stake or reputation) is cancelled on chain by the oracle's
key, not only withdrawn from the book: whoever copied it could still match it until it expires.
An order that still holds but no longer shows the pool's capacity is only withdrawn.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from web3 import Web3

from offchain_grid.contribution import hub_domain
from orderbook import orders
from orderbook.client import BookClient, BookError, parse_listed

from .request_orders import match_requests

log = logging.getLogger("oracle.pool_orders")

MAX_TRUST = 32  # the Hub's MAX_TRUST


@dataclass(frozen=True)
class Capacity:
    """The pool's alive workers that count on chain: how many, their slots, the least stake and
    reputation among them."""

    workers: int
    slots: int
    stake: int
    score: int


@dataclass(frozen=True)
class OrderPolicy:
    """How the oracle keeps its pool orders. Their prices are the pool's standing terms in the
    registry (`cumulus pool set-terms`), read at each look: a change there replaces the orders."""

    lifetime: int = 600  # seconds an order stays valid; a new one is signed when half is gone
    refresh: float = 5.0  # seconds between looks at the workers and the book
    match_requests: bool = True  # match the book's request orders the pool can serve


@dataclass(frozen=True)
class Listed:
    """One of the pool's own orders on the book."""

    digest: str  # 0x-hex
    order: dict
    remaining: int


@dataclass
class Plan:
    cancel: list[str] = field(default_factory=list)  # digests to cancel on chain (and withdraw)
    withdraw: list[str] = field(default_factory=list)  # digests to take off the book only
    publish: dict | None = None  # the terms of a new order (without salt), or None


def capacity_of(grid_workers: list[dict], members: dict[str, tuple[int, int]]) -> Capacity:
    """The capacity of the alive, not blacklisted grid workers whose address is an active member
    of the pool (`members`: checksummed address -> (stake, reputation))."""
    counted = [(w, members[Web3.to_checksum_address(w["address"])]) for w in grid_workers
               if w.get("status") == "ALIVE" and not w.get("blacklisted") and w.get("address")
               and Web3.is_address(w["address"]) and Web3.to_checksum_address(w["address"]) in members]
    if not counted:
        return Capacity(0, 0, 0, 0)
    return Capacity(workers=len(counted), slots=sum(max(1, int(w.get("slots", 1))) for w, _ in counted),
                    stake=min(stake for _, (stake, _) in counted), score=min(score for _, (_, score) in counted))


def wanted_terms(pool: int, capacity: Capacity, prices: tuple[int, int], now: int, lifetime: int) -> dict | None:
    """The pool order this capacity supports now at these prices (per replica, per unit of
    callback gas), None when no worker counts."""
    if capacity.workers == 0:
        return None
    return {"pool": pool, "price": prices[0], "callbackGasPrice": prices[1],
            "maxTrust": min(capacity.workers, MAX_TRUST), "workerStake": capacity.stake,
            "workerScore": capacity.score, "volume": capacity.slots, "expiry": now + lifetime}


def promises_more(order: dict, wanted: dict | None) -> bool:
    """Whether `order` offers more than the workers now deliver."""
    if wanted is None:
        return True
    return any(order[term] > wanted[term] for term in ("maxTrust", "workerStake", "workerScore"))


def plan(listed: list[Listed], wanted: dict | None, now: int, lifetime: int) -> Plan:
    """What to do with the pool's listed orders, and whether to sign a new one."""
    result = Plan()
    fresh = False
    for entry in listed:
        if promises_more(entry.order, wanted):
            result.cancel.append(entry.digest)
        elif any(entry.order[t] != wanted[t] for t in ("maxTrust", "price", "callbackGasPrice")) \
                or entry.remaining > wanted["volume"]:
            # still deliverable, no longer the pool's offer (stake and reputation that grew, as
            # reputation does with every task, keep the order: it promises no more than before)
            result.withdraw.append(entry.digest)
        elif entry.remaining > 0 and entry.order["expiry"] - now > lifetime // 2:
            fresh = True
    if wanted is not None and not fresh:
        result.publish = wanted
    return result


class PoolOrders:
    """Publishes and withdraws the pool's orders; one `step` per oracle round (it acts every
    `policy.refresh` seconds). Signs with the oracle's key (the Hub accepts the pool's oracle as a
    pool order's signer) and cancels through the oracle's transaction manager."""

    def __init__(self, w3: Web3, hub, pool: int, account, book: BookClient, grid, tx, policy: OrderPolicy):
        self.w3, self.hub, self.pool, self.account = w3, hub, pool, account
        self.book, self.grid, self.tx, self.policy = book, grid, tx, policy
        self.domain = hub_domain(w3.eth.chain_id, hub.address)
        self._next_at = 0.0
        # digest -> the orders this process signed, until they expire (a restart forgets them:
        # the book still lists those it did not withdraw, and --order-lifetime bounds the others)
        self._signed: dict[str, dict] = {}

    def step(self) -> None:
        if time.monotonic() < self._next_at:
            return
        self._next_at = time.monotonic() + self.policy.refresh
        now = self.w3.eth.get_block("latest")["timestamp"]
        wanted = wanted_terms(self.pool, self.capacity(), self.prices(), now, self.policy.lifetime)
        self._signed = {d: o for d, o in self._signed.items() if o["expiry"] >= now}
        try:
            listed, book_up = self.listed(), True
        except BookError as exc:
            log.warning("order book unreachable (%s): cancelling what must be from the orders signed here", exc)
            listed, book_up = [], False
        decided = plan(listed, wanted, now, self.policy.lifetime)
        # orders signed here and no longer on the book (withdrawn, or the book is down) are still
        # valid on chain: cancelled too when the workers no longer deliver them
        on_book = {entry.digest for entry in listed}
        decided.cancel += [d for d, o in list(self._signed.items())
                           if d not in on_book and promises_more(o, wanted) and self._open(d, o)]
        for digest in decided.cancel:
            self.tx.send(f"cancel-order:{digest}", self.hub.functions.cancelOrders([bytes.fromhex(digest[2:])]))
            self._signed.pop(digest, None)
            log.info("pool order %s cancelled: the workers no longer deliver it", digest[:10])
        if not book_up:
            return
        for digest in decided.cancel + decided.withdraw:
            if digest in on_book:
                self.book.withdraw(digest, self.account)
        for digest in decided.withdraw:
            log.info("pool order %s withdrawn: the pool's capacity changed", digest[:10])
        if decided.publish is not None:
            order = orders.new_order("pool", **decided.publish)
            listed = self.book.publish("pool", order, orders.sign("pool", order, self.account.key, self.domain))
            self._signed[listed["digest"]] = order
            log.info("pool order %s published: trust up to %d, %d tasks, %s nRLC per replica", listed["digest"][:10],
                     order["maxTrust"], order["volume"], order["price"])
        if wanted is not None and self.policy.match_requests:
            match_requests(self.w3, self.hub, self.pool, self.book, self.tx, now)

    def _open(self, digest: str, order: dict) -> bool:
        """Whether the order can still be matched on chain (else it is forgotten here)."""
        consumed, cancelled = self.hub.functions.orderUse(self.account.address, bytes.fromhex(digest[2:])).call()
        if cancelled or consumed >= order["volume"]:
            self._signed.pop(digest, None)
            return False
        return True

    def prices(self) -> tuple[int, int]:
        """The pool's standing price per replica and per unit of callback gas, from the registry."""
        terms = _record(self.hub.functions.s_pools, self.pool)
        return terms["price"], terms["callbackGasPrice"]

    def capacity(self) -> Capacity:
        workers = self.grid.get("/workers")
        members = {}
        for worker in workers:
            address = worker.get("address")
            if not address or not Web3.is_address(address):
                continue
            address = Web3.to_checksum_address(address)
            record = _record(self.hub.functions.s_workers, address)
            if record["pool"] == self.pool and record["leftAt"] == 0:
                members[address] = (record["stake"], record["score"])
        return capacity_of(workers, members)

    def listed(self) -> list[Listed]:
        found = []
        for entry in self.book.orders(kind="pool", pool=self.pool, signer=self.account.address, limit=500):
            _kind, order, _signature = parse_listed(entry)
            if order["pool"] == self.pool:
                found.append(Listed(entry["digest"], order, entry["remaining"]))
        return found


def _record(getter, *args) -> dict:
    """A Hub getter's struct by the ABI's field names."""
    return dict(zip([output["name"] for output in getter.abi["outputs"]], getter(*args).call()))
