"""The order book on PostgreSQL (by URL): the same orders listed, 64-bit values kept, a match on
chain followed, and the listing kept across a restart."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from oracle.deployment import transact
from orderbook import orders
from tests.grid.postgres import Postgres

from .conftest import APP_OWNER, POOL_OWNER, STRANGER, USER, Book, wait_until

RLC = 10**9


def test_book_on_postgresql(market, tmp_path):
    postgres = Postgres().start()
    book = None
    try:
        url = postgres.new_database()
        book = Book(market.chain.url, market.workdir / "market.json", tmp_path, url)
        expiry = market.now() + 3600
        app = orders.new_order("app", app=market.app, price=2 * RLC, volume=1, expiry=expiry)
        pool = orders.new_order("pool", pool=market.pool, price=3 * RLC, callbackGasPrice=1_000, maxTrust=1,
                                volume=2**64 - 1, expiry=2**64 - 1)
        request = orders.new_order("request", requester=market.key(USER).address, app=market.app, maxPrice=10 * RLC,
                                   trust=1, volume=1, expiry=expiry, params=b"x")
        market.deposit(USER, 10 * RLC)
        signatures = {"app": market.sign("app", app, APP_OWNER), "pool": market.sign("pool", pool, POOL_OWNER),
                      "request": market.sign("request", request, USER)}
        for kind, order in (("app", app), ("pool", pool), ("request", request)):
            book.client.publish(kind, order, signatures[kind])
        assert book.client.order(market.digest("pool", pool))["remaining"] == 2**64 - 1
        book.stop()
        book = Book(market.chain.url, market.workdir / "market.json", tmp_path, url)  # a restart keeps the book
        assert {e["digest"] for e in book.client.orders(app=market.app)} >= {
            market.digest("app", app), market.digest("pool", pool), market.digest("request", request)}
        # the same order published by many clients at once: listed once, nobody gets an error
        twin = orders.new_order("app", app=market.app, price=RLC, volume=1, expiry=expiry)
        body = {"kind": "app", "order": orders.to_json("app", twin),
                "signature": "0x" + market.sign("app", twin, APP_OWNER).hex()}
        with ThreadPoolExecutor(8) as pool_of_clients:
            statuses = list(pool_of_clients.map(
                lambda _: requests.post(f"{book.url}/api/v1/orders", json=body, timeout=60).status_code, range(8)))
        assert sorted(statuses) == [200] * 7 + [201], statuses
        assert len(book.client.orders(kind="app", max_price=RLC)) == 1
        blank = orders.new_order("dataset", salt=bytes(32))
        transact(market.w3, market.key(STRANGER), market.hub().functions.matchOrders(
            orders.as_tuple("app", app), orders.as_tuple("dataset", blank), orders.as_tuple("pool", pool),
            orders.as_tuple("request", request), (signatures["app"], b"", signatures["pool"], signatures["request"])))
        wait_until(lambda: book.client.order(market.digest("pool", pool))["remaining"] == 2**64 - 2,
                   what="the pool order's remaining volume to follow the match")
        listed = {e["digest"] for e in book.client.orders()}
        assert market.digest("app", app) not in listed and market.digest("request", request) not in listed
    finally:
        if book:
            book.stop()
        postgres.stop()
