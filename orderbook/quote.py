"""The cheapest orders a request can be matched with, from what the book lists."""

from __future__ import annotations

import json

from pydantic import BaseModel
from sqlmodel import Session

from . import book, matching, orders
from .models import BookOrder, OrderPublic

CANDIDATES = 200  # of each kind, cheapest first: enough to find a compatible combination


class Quote(BaseModel):
    """The orders to match a request with, and what one task costs with them (nRLC)."""

    price: int
    app: OrderPublic
    dataset: OrderPublic | None
    pool: OrderPublic


def best_offers(session: Session, request: dict, now: int) -> Quote | None:
    """The cheapest compatible app, dataset (when asked) and pool orders for `request` (a canonical
    request order; its signature does not matter here), or None."""
    common = dict(now=now, requester=request["requester"], limit=CANDIDATES)
    apps = book.listing(session, kind="app", app=request["app"], dataset=request["dataset"],
                        pool=request["pool"] or None, **common)
    datasets = book.listing(session, kind="dataset", app=request["app"], dataset=request["dataset"],
                            pool=request["pool"] or None, **common) if request["dataset"] else []
    pools = book.listing(session, kind="pool", app=request["app"], dataset=request["dataset"],
                         pool=request["pool"] or None, trust=request["trust"], **common)
    best = matching.cheapest(request, [_offer(r) for r in apps], [_offer(r) for r in datasets],
                             [_offer(r) for r in pools], now)
    if best is None:
        return None
    app, dataset, pool = (None if o is None else book.public(session.get(BookOrder, "0x" + o.digest.hex()))
                          for o in best)
    price = matching.price(best[0].order, best[1].order if best[1] else None, best[2].order, request)
    return Quote(price=price, app=app, dataset=dataset, pool=pool)


def _offer(row: BookOrder) -> matching.Offer:
    order = orders.parse(row.kind, json.loads(row.order_json))
    return matching.Offer(kind=row.kind, order=order, digest=bytes.fromhex(row.digest[2:]),
                          remaining=order["volume"] - row.consumed)
