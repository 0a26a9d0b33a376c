"""The order book as its own process against a real anvil and Hub: it lists what is signed by the
right party under this Hub's domain, refuses the rest with a one-line 4xx, and drops an order once
the chain has used it up, cancelled it or let it expire."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import requests
from eth_account.messages import encode_defunct

from oracle.deployment import transact
from orderbook import orders
from orderbook.book import withdrawal_message
from orderbook.client import BookError

from .conftest import APP_OWNER, DATASET_OWNER, ORACLE, POOL_OWNER, STRANGER, USER, wait_until

RLC = 10**9


def _app(market, **values):
    return orders.new_order("app", **{"app": market.app, "price": 2 * RLC, "volume": 10,
                                      "expiry": market.now() + 3600, **values})


def _pool(market, **values):
    return orders.new_order("pool", **{"pool": market.pool, "price": 3 * RLC, "callbackGasPrice": 1_000,
                                       "maxTrust": 3, "volume": 10, "expiry": market.now() + 3600, **values})


def _request(market, **values):
    return orders.new_order("request", **{"requester": market.key(USER).address, "app": market.app,
                                          "maxPrice": 20 * RLC, "trust": 1, "volume": 1,
                                          "expiry": market.now() + 3600, "params": b"abc", **values})


def _listed(book, **filters) -> set[str]:
    return {entry["digest"] for entry in book.client.orders(**filters)}


def _refusal(book, kind, order, signature) -> BookError:
    with pytest.raises(BookError) as raised:
        book.client.publish(kind, order, signature)
    return raised.value


def test_publish_and_list_with_filters(market, book):
    cheap, dear = _app(market, price=1 * RLC), _app(market, price=5 * RLC, onlyPool=market.pool + 7)
    pool = _pool(market)
    for kind, order, role in (("app", cheap, APP_OWNER), ("app", dear, APP_OWNER), ("pool", pool, ORACLE)):
        listed = book.client.publish(kind, order, market.sign(kind, order, role))
        assert listed["digest"] == market.digest(kind, order) and listed["remaining"] == 10
    assert book.client.publish("app", cheap, market.sign("app", cheap, APP_OWNER))["digest"] == market.digest("app", cheap)
    apps = book.client.orders(kind="app", app=market.app)
    digests = [entry["digest"] for entry in apps]
    assert digests.index(market.digest("app", cheap)) < digests.index(market.digest("app", dear))  # cheapest first
    assert market.digest("app", dear) not in _listed(book, kind="app", pool=market.pool)  # restricted to another pool
    assert market.digest("app", cheap) in _listed(book, kind="app", pool=market.pool)
    assert market.digest("app", dear) not in _listed(book, kind="app", max_price=4 * RLC)
    assert _listed(book, kind="pool", trust=3) >= {market.digest("pool", pool)}
    assert market.digest("pool", pool) not in _listed(book, kind="pool", trust=4)
    assert _listed(book, signer=market.key(ORACLE).address) == {market.digest("pool", pool)}
    shown = book.client.order(market.digest("pool", pool))
    assert orders.parse("pool", shown["order"]) == pool and shown["signer"] == market.key(ORACLE).address


def test_refuses_wrong_signer_domain_and_terms(market, book):
    order = _app(market)
    assert "not by the app's owner" in str(_refusal(book, "app", order, market.sign("app", order, STRANGER)))
    other_chain = orders.sign("app", order, market.key(APP_OWNER).key,
                              replace(market.domain, chain_id=1))
    assert "under this Hub's domain" in str(_refusal(book, "app", order, other_chain))
    other_hub = orders.sign("app", order, market.key(APP_OWNER).key,
                            replace(market.domain, verifying_contract="0x" + "42" * 20))
    assert _refusal(book, "app", order, other_hub).status == 422
    expired = _app(market, expiry=market.now() - 1)
    assert "expired" in str(_refusal(book, "app", expired, market.sign("app", expired, APP_OWNER)))
    empty = _app(market, volume=0)
    assert "no volume" in str(_refusal(book, "app", empty, market.sign("app", empty, APP_OWNER)))
    unknown = _app(market, app=999)
    assert "no app 999" in str(_refusal(book, "app", unknown, market.sign("app", unknown, APP_OWNER)))
    trusting = _pool(market, maxTrust=0)
    assert "maxTrust" in str(_refusal(book, "pool", trusting, market.sign("pool", trusting, POOL_OWNER)))
    answer = requests.post(f"{book.url}/api/v1/orders", timeout=30, json={
        "kind": "app", "order": orders.to_json("app", order), "signature": "0x123"})  # odd hex digits
    assert answer.status_code == 422 and "0x-hex" in answer.json()["detail"], answer.text
    broke = _request(market, requester=market.key(STRANGER).address)
    assert "escrow balance" in str(_refusal(book, "request", broke, market.sign("request", broke, STRANGER)))
    assert market.digest("app", order) not in _listed(book)


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"kind": "app"}', b'{"kind": "bid", "order": {}, "signature": "0x"}',
    b'{"kind": "app", "order": {"app": -1}, "signature": "0x00"}',
    b'{"kind": "app", "order": {}, "signature": "0xzz"}',
    b'{"kind": "request", "order": {"params": 5}, "signature": "0x", "extra": 1}',
])
def test_malformed_publications_get_one_line_4xx(book, body):
    answer = requests.post(f"{book.url}/api/v1/orders", data=body, headers={"content-type": "application/json"},
                           timeout=30)
    assert 400 <= answer.status_code < 500, answer.text
    assert "\n" not in answer.json()["detail"]


def test_oversized_bodies_and_bad_queries_are_refused(book):
    answer = requests.post(f"{book.url}/api/v1/orders", data=b"{" + b" " * 100_000 + b"}",
                           headers={"content-type": "application/json"}, timeout=30)
    assert answer.status_code == 413
    for query in ("app=-1", "trust=99", "limit=100000", "requester=nobody", "kind=bid", "max_price=1e99"):
        answer = requests.get(f"{book.url}/api/v1/orders?{query}", timeout=30)
        assert answer.status_code == 422, (query, answer.text)
    assert requests.get(f"{book.url}/api/v1/orders/0x1234", timeout=30).status_code == 422
    assert requests.get(f"{book.url}/api/v1/orders/0x{'00' * 32}", timeout=30).status_code == 404


def test_matched_and_cancelled_orders_leave_the_book(market, book):
    market.deposit(USER, 100 * RLC)
    app, pool, request = _app(market, volume=1), _pool(market, volume=2), _request(market)
    signatures = {"app": market.sign("app", app, APP_OWNER), "pool": market.sign("pool", pool, POOL_OWNER),
                  "request": market.sign("request", request, USER)}
    for kind, order in (("app", app), ("pool", pool), ("request", request)):
        book.client.publish(kind, order, signatures[kind])
    hub = market.hub()
    blank = orders.new_order("dataset", salt=bytes(32))
    transact(market.w3, market.key(STRANGER), hub.functions.matchOrders(
        orders.as_tuple("app", app), orders.as_tuple("dataset", blank), orders.as_tuple("pool", pool),
        orders.as_tuple("request", request), (signatures["app"], b"", signatures["pool"], signatures["request"])))
    used_up = {market.digest("app", app), market.digest("request", request)}
    wait_until(lambda: not (used_up & _listed(book)), what="the used-up orders to leave the book")
    assert book.client.order(market.digest("pool", pool))["remaining"] == 1  # one unit left
    transact(market.w3, market.key(POOL_OWNER), hub.functions.cancelOrders([orders.digest("pool", pool, market.domain)]))
    wait_until(lambda: market.digest("pool", pool) not in _listed(book), what="the cancelled order to leave the book")
    refused = _refusal(book, "pool", pool, signatures["pool"])
    assert refused.status == 409 and "cancelled" in str(refused)


def test_expired_orders_leave_the_book(market, book):
    order = _app(market, expiry=market.now() + 30)
    book.client.publish("app", order, market.sign("app", order, APP_OWNER))
    market.w3.provider.make_request("evm_increaseTime", [60])
    market.w3.provider.make_request("evm_mine", [])
    wait_until(lambda: market.digest("app", order) not in _listed(book, min_remaining=0),
               what="the expired order to leave the book")


def test_withdrawal_only_by_the_signer(market, book):
    order = _app(market)
    digest = book.client.publish("app", order, market.sign("app", order, APP_OWNER))["digest"]
    with pytest.raises(BookError) as raised:
        book.client.withdraw(digest, market.key(STRANGER))
    assert raised.value.status == 403
    answer = requests.post(f"{book.url}/api/v1/orders/{digest}/withdrawal", timeout=30,
                           json={"at": int(time.time()), "signature": "0xabc"})
    assert answer.status_code == 422, answer.text
    at = int(time.time())
    signed = market.key(APP_OWNER).sign_message(encode_defunct(text=withdrawal_message(digest, at)))
    withdrawal = {"at": at, "signature": "0x" + bytes(signed.signature).hex()}
    assert requests.post(f"{book.url}/api/v1/orders/{digest}/withdrawal", json=withdrawal, timeout=30).status_code == 204
    assert digest not in _listed(book)
    # published again later: the old withdrawal, replayed, does not take it off
    wait_until(lambda: int(time.time()) > at, what="the next second")
    book.client.publish("app", order, market.sign("app", order, APP_OWNER))
    replayed = requests.post(f"{book.url}/api/v1/orders/{digest}/withdrawal", json=withdrawal, timeout=30)
    assert replayed.status_code == 403 and "before the order was published" in replayed.json()["detail"]
    assert digest in _listed(book)


def test_dataset_orders_and_quote(market, book):
    data = orders.new_order("dataset", dataset=market.dataset, price=RLC, volume=3, expiry=market.now() + 3600)
    book.client.publish("dataset", data, market.sign("dataset", data, DATASET_OWNER))
    cheap_pool = _pool(market, price=RLC, maxTrust=2)
    book.client.publish("pool", cheap_pool, market.sign("pool", cheap_pool, ORACLE))
    app = _app(market, price=RLC // 2)
    book.client.publish("app", app, market.sign("app", app, APP_OWNER))
    quote = book.client.quote(app=market.app, dataset=market.dataset, trust=2)
    assert quote["app"]["digest"] == market.digest("app", app)
    assert quote["pool"]["digest"] == market.digest("pool", cheap_pool)
    assert quote["dataset"]["digest"] == market.digest("dataset", data)
    assert quote["price"] == RLC // 2 + RLC + 2 * RLC
    with pytest.raises(BookError) as raised:
        book.client.quote(app=market.app, trust=30)
    assert raised.value.status == 404


def test_largest_values_an_order_can_hold_are_listed(market, book):
    order = _app(market, price=2**64 - 1, volume=2**64 - 1, expiry=2**64 - 1)
    listed = book.client.publish("app", order, market.sign("app", order, APP_OWNER))
    assert listed["remaining"] == 2**64 - 1 and listed["expiry"] == 2**64 - 1
    assert market.digest("app", order) in _listed(book, kind="app", max_price=2**64 - 1)
    assert market.digest("app", order) not in _listed(book, kind="app", max_price=10**18)  # more than all RLC


def test_foreign_client_signs_typed_data_by_hand(market, book):
    """A wallet's eth_signTypedData_v4 document, written from the Hub's documented type, not from
    the project's helpers: the book takes it and lists it under the Hub's digest."""
    from eth_account import Account

    message = {"app": market.app, "price": 2 * RLC, "volume": 3, "expiry": market.now() + 3600, "onlyPool": 0,
               "onlyDataset": 0, "onlyRequester": "0x" + "00" * 20, "salt": "0x" + "ab" * 32}
    document = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "AppOrder": [{"name": n, "type": t} for n, t in (
                ("app", "uint64"), ("price", "uint64"), ("volume", "uint64"), ("expiry", "uint64"),
                ("onlyPool", "uint64"), ("onlyDataset", "uint64"), ("onlyRequester", "address"), ("salt", "bytes32"))],
        },
        "primaryType": "AppOrder",
        "domain": {"name": "CumulusHub", "version": "1", "chainId": market.w3.eth.chain_id,
                   "verifyingContract": market.deployment.hub},
        "message": message,
    }
    signed = Account.sign_typed_data(market.key(APP_OWNER).key, full_message=document)
    answer = requests.post(f"{book.url}/api/v1/orders", timeout=30, json={
        "kind": "app", "order": message, "signature": "0x" + bytes(signed.signature).hex()})
    assert answer.status_code == 201, answer.text
    assert answer.json()["digest"] == "0x" + bytes(signed.message_hash).hex()
