"""Which orders match, and what a match costs: the Hub's rules (HubMarket), as pure functions, so
that the order book, `cumulus task request --best` and the oracle can decide without a chain.

Orders are canonical dicts (orders.parse). `now` is the chain's block time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ZERO = "0x" + "00" * 20
MAX_TRIES = 100_000  # combinations `cheapest` checks at most (about a tenth of a second)


@dataclass(frozen=True)
class Offer:
    """A published order with what the chain says of it: enough to decide on it."""

    kind: str
    order: dict
    digest: bytes
    remaining: int  # units of volume not consumed yet (0 once cancelled)


def price(app: dict, dataset: dict | None, pool: dict, request: dict) -> int:
    """What one task of `request` costs with these orders, in nRLC, as the Hub locks it: app +
    dataset + pool price per replica times trust + callback gas times the pool's callback gas price
    (callback gas is paid for only when there is a callback)."""
    callback_gas = request["callbackGasLimit"] if request["callback"] != ZERO else 0
    return (app["price"] + (dataset["price"] if dataset else 0) + pool["price"] * request["trust"]
            + callback_gas * pool["callbackGasPrice"])


def mismatch(app: dict, dataset: dict | None, pool: dict, request: dict, now: int) -> str | None:
    """Why these orders cannot be matched (the Hub's checks, signatures and volume aside), or None."""
    for kind, order in (("app", app), ("dataset", dataset), ("pool", pool), ("request", request)):
        if order is not None and now > order["expiry"]:
            return f"the {kind} order expired at {order['expiry']}"
    if request["pool"] not in (0, pool["pool"]):
        return f"the request order asks for pool {request['pool']}, not {pool['pool']}"
    if app["app"] != request["app"]:
        return f"the app order is for app {app['app']}, the request asks for app {request['app']}"
    if request["dataset"] and (dataset is None or dataset["dataset"] != request["dataset"]):
        return f"the request asks for dataset {request['dataset']}: a dataset order for it is needed"
    requester = request["requester"]
    restrictions = [("app", app, "onlyPool", pool["pool"]), ("app", app, "onlyDataset", request["dataset"]),
                    ("app", app, "onlyRequester", requester),
                    ("pool", pool, "onlyApp", request["app"]), ("pool", pool, "onlyDataset", request["dataset"]),
                    ("pool", pool, "onlyRequester", requester)]
    if request["dataset"]:
        restrictions += [("dataset", dataset, "onlyApp", request["app"]), ("dataset", dataset, "onlyPool", pool["pool"]),
                         ("dataset", dataset, "onlyRequester", requester)]
    for kind, order, field, matched in restrictions:
        accepted = order[field]
        if accepted not in (0, ZERO) and accepted != matched:
            return f"the {kind} order is restricted to {field[4:].lower()} {accepted}"
    for asked, offered, what in (("trust", "maxTrust", "trust"), ("minStake", "workerStake", "worker stake"),
                                 ("minScore", "workerScore", "worker reputation")):
        if request[asked] > pool[offered]:
            return f"the pool offers {what} {pool[offered]}, the request asks {request[asked]}"
    cost = price(app, dataset, pool, request)
    if cost > request["maxPrice"]:
        return f"the orders cost {cost} nRLC, above the request's maximum {request['maxPrice']}"
    return None


def cheapest(request: dict, apps: Iterable[Offer], datasets: Iterable[Offer], pools: Iterable[Offer],
             now: int) -> tuple[Offer, Offer | None, Offer] | None:
    """The cheapest app, dataset (None when the request asks for none) and pool offers that match
    `request`, among those with volume left; None when nothing does. Ties go to the offer that
    expires last (it is least likely to lapse before the match is mined). Offers are tried
    cheapest first, and a branch stops once even its cheapest completion costs more than the
    best found (prices add up), so a book of many offers answers quickly."""
    # offers that fail the request on their own are left out first: what remains can only fail
    # on the restrictions between two offers (an app's or dataset's onlyPool)
    apps = [o for o in apps if _alone(o, request, now)]
    datasets = [o for o in datasets if _alone(o, request, now)]
    pools = [o for o in pools if _alone(o, request, now)]
    live = sorted((o for o in apps if o.remaining > 0), key=lambda o: o.order["price"])
    live_pools = sorted((o for o in pools if o.remaining > 0), key=lambda o: _pool_cost(o.order, request))
    data = sorted((o for o in datasets if o.remaining > 0), key=lambda o: o.order["price"]) \
        if request["dataset"] else [None]
    if not live or not live_pools or not data:
        return None
    least_data = data[0].order["price"] if data[0] else 0
    least_pool = _pool_cost(live_pools[0].order, request)
    best, best_key, budget = None, None, MAX_TRIES
    for app in live:
        if best_key and app.order["price"] + least_data + least_pool > best_key[0]:
            break
        for dataset in data:
            d = dataset.order if dataset else None
            so_far = app.order["price"] + (d["price"] if d else 0)
            if best_key and so_far + least_pool > best_key[0]:
                break
            for pool in live_pools:
                if best_key and so_far + _pool_cost(pool.order, request) > best_key[0]:
                    break
                budget -= 1
                if budget < 0:  # a book stuffed with orders that fit no one: the best found so far
                    return best
                if mismatch(app.order, d, pool.order, request, now) is not None:
                    continue
                key = (price(app.order, d, pool.order, request),
                       -min(o.order["expiry"] for o in (app, dataset, pool) if o is not None))
                if best_key is None or key < best_key:
                    best, best_key = (app, dataset, pool), key
    return best


def _alone(offer: Offer, request: dict, now: int) -> bool:
    """Whether the offer could fit the request with some offers of the other kinds: its expiry,
    what it is for, its restrictions (to a pool only when the request names one), the pool's terms."""
    order, kind = offer.order, offer.kind
    if now > order["expiry"]:
        return False
    requester = order.get("onlyRequester", ZERO)
    if requester not in (ZERO, request["requester"]):
        return False
    pool_ok = request["pool"] == 0 or order.get("onlyPool", 0) in (0, request["pool"])
    if kind == "app":
        return order["app"] == request["app"] and order["onlyDataset"] in (0, request["dataset"]) and pool_ok
    if kind == "dataset":
        return order["dataset"] == request["dataset"] and order["onlyApp"] in (0, request["app"]) and pool_ok
    return request["pool"] in (0, order["pool"]) and order["onlyApp"] in (0, request["app"]) \
        and order["onlyDataset"] in (0, request["dataset"]) and order["maxTrust"] >= request["trust"] \
        and order["workerStake"] >= request["minStake"] and order["workerScore"] >= request["minScore"]


def _pool_cost(pool: dict, request: dict) -> int:
    """What the pool order adds to a task of `request`: its replicas and its callback gas."""
    callback_gas = request["callbackGasLimit"] if request["callback"] != ZERO else 0
    return pool["price"] * request["trust"] + callback_gas * pool["callbackGasPrice"]
