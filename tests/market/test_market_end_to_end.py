"""The market end to end, every party its own process: anvil, the scheduler and two staked
workers, the oracle publishing its pool's orders on the order book, the app owner publishing an
app order and a requester matching the cheapest orders with `cumulus task request --best`, paid
and finalized; a requester's published request order matched by the oracle and served; then the oracle takes its offer back as its workers go away, and makes it again
when one comes back."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from click.testing import CliRunner

from oracle import localnet
from oracle.localnet import APP_OWNER, ORACLE, USER
from sdk.cli import cli

from .conftest import Book, wait_until

APPS = Path(__file__).parent.parent / "oracle" / "apps"
RLC = 10**9


def cumulus(net, workdir: Path, role: int, *args: str) -> dict:
    """`cumulus ARGS --json` with `role`'s key, against the local chain; its JSON answer."""
    key = "0x" + bytes(net.key(role).key).hex()
    env = {"CUMULUS_PRIVATE_KEY": key, "CUMULUS_RPC_URL": net.chain.url, "CUMULUS_KEYSTORE": None,
           "CUMULUS_NETWORK": None}
    chain = [] if args[:2] == ("order", "list") else ["--deployment", str(workdir / "local.json")]
    result = CliRunner().invoke(cli, [*args, *chain, "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pool_orders(book, net) -> list[dict]:
    return book.client.orders(kind="pool", pool=net.deployment.pool, signer=net.key(ORACLE).address)


def order_use(net, signer: str, digest: str) -> tuple[int, bool]:
    return tuple(net.contract("Hub").functions.orderUse(signer, bytes.fromhex(digest[2:])).call())


def test_paid_request_matched_from_the_book_and_pool_orders_follow_the_workers(tmp_path):
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    net = localnet.build(tmp_path, workers=2, trust=1, block_time=None, app_file=APPS / "answer.py",
                         app_name="answer")
    book = oracle = None
    try:
        book = Book(net.chain.url, tmp_path / "local.json", tmp_path)
        oracle = localnet.start_oracle(net, tmp_path, "--order-book", book.url, "--order-lifetime", "600")
        oracle_key = net.key(ORACLE).address
        # the oracle offers what its two alive, staked workers deliver
        offer = wait_until(lambda: [o for o in pool_orders(book, net) if o["order"]["maxTrust"] == 2], 90,
                           what="the oracle's pool order for two workers")[0]
        assert offer["order"]["price"] == localnet.POOL_PRICE and offer["order"]["workerStake"] == localnet.MIN_STAKE
        # the app owner sells below its standing price; the requester takes the cheapest orders
        app_order = cumulus(net, tmp_path, APP_OWNER, "order", "publish", "app", "--app", str(net.deployment.app),
                            "--price", "1.5", "--volume", "5", "--book", book.url)
        assert app_order["signer"] == net.key(APP_OWNER).address
        listed = cumulus(net, tmp_path, USER, "order", "list", "--app", str(net.deployment.app), "--book", book.url)
        assert {app_order["digest"], offer["digest"]} <= {entry["digest"] for entry in listed}
        rlc_before = net.contract("RLC").functions.balanceOf(net.key(USER).address).call()
        task = cumulus(net, tmp_path, USER, "task", "request", "--best", "--params", "6 7", "--trust", "2",
                       "--max-price", "8", "--book", book.url, "--watch", "--timeout", "180")
        assert task["status"] == "Finalized"
        paid = rlc_before - net.contract("RLC").functions.balanceOf(net.key(USER).address).call()
        assert paid == 15 * RLC // 10 + 2 * localnet.POOL_PRICE  # the app order's price, two replicas
        assert order_use(net, net.key(APP_OWNER).address, app_order["digest"]) == (1, False)
        wait_until(lambda: book.client.order(app_order["digest"])["remaining"] == 4, 30,
                   what="the book to follow the match")
        # a requester signs and publishes a request order; the oracle matches it for its pool and serves it
        cumulus(net, tmp_path, USER, "account", "deposit", "8")
        published = cumulus(net, tmp_path, USER, "order", "publish", "request", "--app", str(net.deployment.app),
                            "--max-price", "8", "--trust", "2", "--params", "8 9", "--book", book.url)
        hub = net.contract("Hub")
        matched = wait_until(lambda: [e for e in hub.events.OrdersMatched().get_logs(
            from_block=net.deployment.start_block) if "0x" + bytes(e["args"]["requestOrder"]).hex()
            == published["digest"]], 90, what="the oracle to match the published request order")
        task_id = bytes(matched[0]["args"]["taskId"])
        wait_until(lambda: hub.events.TaskFinalized().get_logs(from_block=net.deployment.start_block,
                                                               argument_filters={"taskId": task_id}), 180,
                   what="the matched request to be finalized")
        assert hub.functions.s_balances(net.key(USER).address).call() == 8 * RLC - (15 * RLC // 10 + 2 * localnet.POOL_PRICE)
        # a worker goes away: the offer for two is cancelled on chain, one for one worker replaces it
        [offer] = wait_until(lambda: [o for o in pool_orders(book, net) if o["order"]["maxTrust"] == 2], 60,
                             what="a fresh offer for two workers (the last one was used up)")
        net.grid.workers[1].terminate()
        wait_until(lambda: order_use(net, oracle_key, offer["digest"])[1], 120,
                   what="the oracle to cancel its order for two workers")
        wait_until(lambda: [o for o in pool_orders(book, net) if o["order"]["maxTrust"] == 1]
                   and not [o for o in pool_orders(book, net) if o["order"]["maxTrust"] == 2], 60,
                   what="an order for one worker in its place")
        # the last worker goes away: nothing is offered, and nothing offered can be matched
        [single] = pool_orders(book, net)
        net.grid.workers[0].terminate()
        wait_until(lambda: order_use(net, oracle_key, single["digest"])[1], 120,
                   what="the oracle to cancel its last order")
        wait_until(lambda: not pool_orders(book, net), 30, what="no pool order left on the book")
        # workers come back: the pool offers again what they deliver; the offer for one worker is
        # withdrawn from the book when a second one is back (it still holds on chain)
        net.grid.add_worker(net.worker_key(0), name="worker0-again")
        [for_one] = wait_until(lambda: [o for o in pool_orders(book, net) if o["order"]["maxTrust"] == 1], 90,
                               what="a pool order again once a worker is back")
        net.grid.add_worker(net.worker_key(1), name="worker1-again")
        [for_two] = wait_until(lambda: [o for o in pool_orders(book, net) if o["order"]["maxTrust"] == 2]
                               if len(pool_orders(book, net)) == 1 else None, 90,
                               what="the offer for two workers in place of the one for one")
        assert order_use(net, oracle_key, for_one["digest"]) == (0, False)
        # with the book down, every worker gone: both offers, withdrawn or listed, are cancelled on chain
        book.stop()
        for worker in net.grid.workers[2:]:
            worker.terminate()
        for offer in (for_one, for_two):
            wait_until(lambda: order_use(net, oracle_key, offer["digest"])[1], 120,
                       what=f"the oracle to cancel {offer['digest']} with the book down")
        book = Book(net.chain.url, tmp_path / "local.json", tmp_path, port=book.port)
        # the app owner cancels its own order on chain, and the book drops it
        cumulus(net, tmp_path, APP_OWNER, "order", "cancel", app_order["digest"], "--book", book.url)
        assert order_use(net, net.key(APP_OWNER).address, app_order["digest"])[1]
        assert app_order["digest"] not in {e["digest"] for e in book.client.orders(kind="app")}
    finally:
        if oracle:
            oracle.terminate()
            oracle.wait(10)
        if book:
            book.stop()
        net.stop()
