"""The book's choice of the cheapest compatible orders (orderbook.matching.cheapest), as a pure
function: the same answer as trying every combination, on random books."""

from __future__ import annotations

import random

from offchain_grid.contribution import hub_domain
from orderbook import matching, orders

NOW = 1_000
USER = "0x" + "11" * 20
DOMAIN = hub_domain(1, "0x" + "22" * 20)


def brute_force(request, apps, datasets, pools):
    best_key = None
    for app in apps:
        for dataset in (datasets if request["dataset"] else [None]):
            for pool in pools:
                if min(o.remaining for o in (app, dataset, pool) if o) <= 0:
                    continue
                d = dataset.order if dataset else None
                if matching.mismatch(app.order, d, pool.order, request, NOW) is None:
                    key = (matching.price(app.order, d, pool.order, request),
                           -min(o.order["expiry"] for o in (app, dataset, pool) if o))
                    best_key = key if best_key is None else min(best_key, key)
    return best_key


def offer(kind, rng, **values):
    order = orders.new_order(kind, price=rng.randrange(0, 50), volume=1, expiry=NOW + rng.randrange(-5, 100), **values)
    return matching.Offer(kind, order, orders.digest(kind, order, DOMAIN), remaining=rng.choice([0, 1, 1, 1]))


def test_cheapest_is_the_cheapest_of_every_combination():
    rng = random.Random(20261122)
    matched = 0
    for _ in range(200):
        with_dataset = rng.random() < 0.5
        request = orders.new_order("request", requester=USER, app=1, dataset=7 if with_dataset else 0,
                                   pool=rng.choice([0, 3]), maxPrice=rng.randrange(20, 200), trust=rng.randrange(1, 4),
                                   callback="0x" + "33" * 20, callbackGasLimit=rng.randrange(0, 3), volume=1,
                                   expiry=NOW + 50)
        apps = [offer("app", rng, app=1, onlyPool=rng.choice([0, 0, 3, 4])) for _ in range(rng.randrange(0, 6))]
        datasets = [offer("dataset", rng, dataset=7, onlyPool=rng.choice([0, 3, 4]),
                          onlyApp=rng.choice([0, 1, 2])) for _ in range(rng.randrange(0, 5))]
        pools = [offer("pool", rng, pool=rng.choice([3, 4]), maxTrust=rng.randrange(1, 4),
                       callbackGasPrice=rng.randrange(0, 5), onlyDataset=rng.choice([0, 7, 8]))
                 for _ in range(rng.randrange(0, 6))]
        found = matching.cheapest(request, apps, datasets, pools, NOW)
        expected = brute_force(request, apps, datasets, pools)
        if expected is None:
            assert found is None
        else:
            app, dataset, pool = found
            d = dataset.order if dataset else None
            assert matching.mismatch(app.order, d, pool.order, request, NOW) is None
            key = (matching.price(app.order, d, pool.order, request),
                   -min(o.order["expiry"] for o in (app, dataset, pool) if o))
            assert key == expected
            matched += 1
    assert 10 < matched < 190  # the random books hold both kinds of case (23 of 200 match)
