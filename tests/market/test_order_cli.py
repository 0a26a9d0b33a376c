"""`cumulus order` as its users type it: standing prices as defaults, and one-line refusals."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sdk.cli import cli

from .conftest import APP_OWNER, ORACLE, STRANGER, USER, wait_until

RLC = 10**9


@pytest.fixture
def cumulus(market, book):
    def run(role: int, *args: str, ok: bool = True):
        env = {"CUMULUS_PRIVATE_KEY": "0x" + bytes(market.key(role).key).hex(), "CUMULUS_RPC_URL": market.chain.url,
               "CUMULUS_KEYSTORE": None, "CUMULUS_NETWORK": None, "CUMULUS_ORDER_BOOK": book.url}
        chain = [] if args[:2] == ("order", "list") else ["--deployment", str(market.workdir / "market.json")]
        result = CliRunner().invoke(cli, [*args, *chain], env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result
    return run


def test_orders_default_to_the_standing_prices(market, book, cumulus):
    cumulus(APP_OWNER, "order", "publish", "app", "--app", str(market.app), "--volume", "3")
    cumulus(ORACLE, "order", "publish", "pool", "--pool", str(market.pool), "--max-trust", "2")
    apps = book.client.orders(kind="app", signer=market.key(APP_OWNER).address)
    pools = book.client.orders(kind="pool", signer=market.key(ORACLE).address)
    assert [o["order"]["price"] for o in apps] == [2 * RLC] and apps[0]["volume"] == 3
    assert [(o["order"]["price"], o["order"]["callbackGasPrice"], o["order"]["maxTrust"]) for o in pools] == [
        (3 * RLC, 1_000, 2)]
    listed = cumulus(USER, "order", "list", "--app", str(market.app)).output
    assert apps[0]["digest"] in listed and pools[0]["digest"] in listed


def test_published_request_order_matched_by_anyone(market, book, cumulus):
    market.deposit(USER, 20 * RLC)
    cumulus(APP_OWNER, "order", "publish", "app", "--app", str(market.app), "--price", "1")
    cumulus(ORACLE, "order", "publish", "pool", "--pool", str(market.pool), "--price", "2", "--max-trust", "3")
    published = json.loads(cumulus(USER, "order", "publish", "request", "--app", str(market.app), "--max-price", "10",
                                   "--trust", "3", "--params", "3 4 5", "--json").stdout)
    assert published["signer"] == market.key(USER).address and published["order"]["params"] == "0x" + b"3 4 5".hex()
    before = market.hub().functions.s_balances(market.key(USER).address).call()
    opened = json.loads(cumulus(STRANGER, "order", "match", published["digest"], "--json").stdout)
    assert opened["price_nrlc"] == 1 * RLC + 3 * 2 * RLC
    assert before - market.hub().functions.s_balances(market.key(USER).address).call() == opened["price_nrlc"]
    wait_until(lambda: published["digest"] not in {e["digest"] for e in book.client.orders(kind="request")},
               what="the matched request order to leave the book")
    again = cumulus(STRANGER, "order", "match", published["digest"], ok=False)
    assert "no order" in again.output and len(again.output.strip().splitlines()) == 1


@pytest.mark.parametrize("role, args, says", [
    (STRANGER, ("order", "publish", "app", "--app", "1"), "not by the app's owner"),
    (APP_OWNER, ("order", "publish", "app", "--app", "1", "--max-trust", "3"), "has no --max-trust"),
    (APP_OWNER, ("order", "publish", "app", "--app", "99"), "no app 99"),
    (APP_OWNER, ("order", "publish", "app", "--app", "one"), "must be a number"),
    (APP_OWNER, ("order", "publish", "app", "--app", "1", "--only-requester", "me"), "must be an address"),
    (APP_OWNER, ("order", "cancel", "0x1234"), "64 hex digits"),
    (USER, ("order", "publish", "request", "--app", "1"), "give --max-price"),
    (USER, ("order", "publish", "request", "--app", "1", "--max-price", "1", "--params", "'open"), "no arguments"),
    (USER, ("order", "publish", "request", "--app", "1", "--max-price", "1", "--price", "1"), "has no --price"),
    (USER, ("task", "request", "--best", "--app", "1", "--trust", "30"), "no orders on the book fit"),
])
def test_bad_orders_are_refused_in_one_line(cumulus, role, args, says):
    result = cumulus(role, *args, ok=False)
    assert says in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_unreachable_book_is_one_line(market, cumulus):
    result = cumulus(USER, "order", "list", "--book", "http://127.0.0.1:9", ok=False)
    assert "cannot reach the order book" in result.output and len(result.output.strip().splitlines()) == 1
