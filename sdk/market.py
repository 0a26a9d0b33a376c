"""The market as a requester and an owner use it: orders built and signed under the deployment's
Hub, and a request matched with the cheapest compatible orders of a book."""

from __future__ import annotations

from web3.logs import DISCARD

from offchain_grid.contribution import SigningDomain, hub_domain
from oracle.deployment import transact
from orderbook import orders
from orderbook.client import BookClient, BookError, parse_listed

from .chain import Chain
from .errors import SdkError
from .units import format_rlc

ZERO = orders.ZERO_ADDRESS


def domain(chain: Chain) -> SigningDomain:
    return hub_domain(chain.w3.eth.chain_id, chain.deployment.hub)


def new_order(kind: str, **values) -> dict:
    try:
        return orders.new_order(kind, **values)
    except orders.InvalidOrder as exc:
        raise SdkError(str(exc)) from None


def book_call(call, *args, **kwargs):
    """A book call whose refusal becomes the command's one-line error."""
    try:
        return call(*args, **kwargs)
    except BookError as exc:
        raise SdkError(str(exc)) from None


def request_order(chain: Chain, requester: str, spec: dict, max_price: int, expiry: int) -> dict:
    """The request order for a task spec (the fields requestTask takes), valid for one task."""
    fields = {name for name, _ in orders.fields("request")}
    values = {k: v for k, v in spec.items() if k in fields and k != "maxPrice"}
    return new_order("request", **values, requester=requester, maxPrice=max_price, volume=1, expiry=expiry)


def best_match(chain: Chain, book: BookClient, request: dict) -> tuple[dict, dict | None, dict, dict, int]:
    """The cheapest orders of the book that `request` can be matched with, checked again here
    against the request (the book is not trusted): (app, dataset, pool, their signatures, price)."""
    now = chain.w3.eth.get_block("latest")["timestamp"]
    found = book_call(book.best_orders, request, now)
    if found is None:
        raise SdkError("no orders on the book fit this request (app, dataset, pool, trust, stake, reputation)")
    return found


def match(chain: Chain, account, app: dict, dataset: dict | None, pool: dict, request: dict, signatures: dict,
          price: int, on_wait=None) -> tuple[bytes, dict]:
    """Sends the match. As the requester (its own order needs no signature then): paid from its
    escrow balance when that covers the price, else by one approveAndCall of exactly the price.
    As anyone else (with the request order's signature): paid from the requester's balance."""
    args = orders.match_arguments(app, dataset, pool, request, signatures)
    call = chain.hub.functions.matchOrders(*args)
    if account.address != request["requester"] or chain.hub.functions.s_balances(account.address).call() >= price:
        receipt = transact(chain.w3, account, call, on_wait=on_wait)
    else:
        data = bytes.fromhex(chain.hub.encode_abi("matchOrders", args=args).removeprefix("0x"))
        receipt = transact(chain.w3, account, chain.rlc.functions.approveAndCall(chain.hub.address, price, data),
                           on_wait=on_wait)
    events = chain.hub.events.TaskRequested().process_receipt(receipt, errors=DISCARD)
    if not events:
        raise SdkError(f"transaction 0x{bytes(receipt['transactionHash']).hex()} matched no orders")
    return bytes(events[0]["args"]["taskId"]), receipt


def request_best(chain: Chain, account, book: BookClient, spec: dict, max_price: int | None,
                 expires_in: int = 600, on_wait=None) -> tuple[bytes, dict, int]:
    """A task of `spec` matched with the book's cheapest compatible orders, never above
    `max_price` (the whole price when None is given: the quote). Returns id, receipt, price."""
    now = chain.w3.eth.get_block("latest")["timestamp"]
    probe = request_order(chain, account.address, spec, 2**64 - 1, now + expires_in)
    app, dataset, pool, signatures, price = best_match(chain, book, probe)
    if max_price is not None and price > max_price:
        raise SdkError(f"the cheapest orders cost {format_rlc(price)}, above --max-price {format_rlc(max_price)}")
    request = {**probe, "maxPrice": price if max_price is None else max_price}
    task_id, receipt = match(chain, account, app, dataset, pool, request, signatures, price, on_wait)
    return task_id, receipt, price


def match_published(chain: Chain, account, book: BookClient, digest: str, on_wait=None) -> tuple[bytes, dict, int]:
    """A request order published on the book, matched by anyone with the book's cheapest
    compatible orders; the requester pays from its escrow balance, as its signature allows."""
    entry = book_call(book.order, digest)
    kind, request, signature = parse_listed(entry)
    if kind != "request":
        raise SdkError(f"order {digest} is a {kind} order: only a request order is matched so")
    app, dataset, pool, signatures, price = best_match(chain, book, request)
    task_id, receipt = match(chain, account, app, dataset, pool, request, {**signatures, "request": signature},
                             price, on_wait)
    return task_id, receipt, price
