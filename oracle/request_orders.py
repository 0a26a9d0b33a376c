"""Request orders published on the book that the pool can serve: the oracle matches them with the
book's cheapest compatible app (and dataset) orders and a pool order of its own pool, so that a
requester who signed a request order is served without sending anything itself. The requester
pays from its escrow deposit, as its signature allows; the pool earns the task."""

from __future__ import annotations

import logging

from orderbook import orders
from orderbook.client import BookClient, parse_listed

from .errors import TransactionFailed

log = logging.getLogger("oracle.request_orders")

MAX_MATCHES_PER_LOOK = 5  # matches sent per look at the book: the rest wait for the next one


def match_requests(w3, hub, pool: int, book: BookClient, tx, now: int) -> int:
    """Sends a match for each request order on the book this pool can serve now (at most
    MAX_MATCHES_PER_LOOK); returns how many were sent. Each is keyed by the request order and how
    much of it was used, so a look repeated before the match is mined sends nothing twice."""
    sent = 0
    for entry in book.orders(kind="request", pool=pool, limit=50):
        if sent >= MAX_MATCHES_PER_LOOK:
            break
        _kind, request, signature = parse_listed(entry)
        asked = {**request, "pool": pool}  # quoted on this pool only, even when the request takes any
        found = book.best_orders(asked, now)
        if found is None:
            continue
        app, dataset, pool_order, signatures, price = found
        if pool_order["pool"] != pool or hub.functions.s_balances(request["requester"]).call() < price:
            continue
        call = hub.functions.matchOrders(*orders.match_arguments(app, dataset, pool_order, request,
                                                                 {**signatures, "request": signature}))
        try:
            tx.send(f"match:{entry['digest']}:{entry['volume'] - entry['remaining']}", call)
        except TransactionFailed as exc:  # matched by someone else first, or the deposit spent meanwhile
            log.warning("request order %s not matched: %s", entry["digest"][:10], exc)
            continue
        log.info("request order %s matched on pool %d: %d nRLC", entry["digest"][:10], pool, price)
        sent += 1
    return sent
