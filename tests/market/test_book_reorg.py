"""A reorg that undoes a match or a cancellation brings the orders back on the book."""

from __future__ import annotations

from oracle.deployment import transact
from orderbook import orders

from .conftest import APP_OWNER, POOL_OWNER, STRANGER, USER, wait_until

RLC = 10**9


def test_orders_spent_in_an_orphaned_block_are_listed_again(market, book):
    market.deposit(USER, 10 * RLC)
    expiry = market.now() + 3600
    app = orders.new_order("app", app=market.app, price=RLC, volume=1, expiry=expiry)
    pool = orders.new_order("pool", pool=market.pool, price=RLC, maxTrust=1, volume=5, expiry=expiry)
    request = orders.new_order("request", requester=market.key(USER).address, app=market.app, maxPrice=5 * RLC,
                               trust=1, volume=1, expiry=expiry, params=b"x")
    signatures = {"app": market.sign("app", app, APP_OWNER), "pool": market.sign("pool", pool, POOL_OWNER),
                  "request": market.sign("request", request, USER)}
    for kind, order in (("app", app), ("pool", pool), ("request", request)):
        book.client.publish(kind, order, signatures[kind])
    listed = lambda: {e["digest"] for e in book.client.orders(min_remaining=0)}  # noqa: E731
    spent = {market.digest("app", app), market.digest("request", request)}
    blank = orders.new_order("dataset", salt=bytes(32))
    transact(market.w3, market.key(STRANGER), market.hub().functions.matchOrders(
        orders.as_tuple("app", app), orders.as_tuple("dataset", blank), orders.as_tuple("pool", pool),
        orders.as_tuple("request", request), (signatures["app"], b"", signatures["pool"], signatures["request"])))
    wait_until(lambda: not spent & listed(), what="the matched orders to leave the book")
    market.w3.provider.make_request("anvil_reorg", [1, []])  # the match's block replaced by an empty one
    wait_until(lambda: spent <= listed(), what="the orders to come back after the reorg")
    assert book.client.order(market.digest("pool", pool))["remaining"] == 5
    transact(market.w3, market.key(POOL_OWNER), market.hub().functions.cancelOrders(
        [orders.digest("pool", pool, market.domain)]))
    wait_until(lambda: market.digest("pool", pool) not in listed(), what="the cancelled order to leave the book")
    market.w3.provider.make_request("anvil_reorg", [1, []])
    wait_until(lambda: market.digest("pool", pool) in listed(), what="the cancellation undone by a reorg")
