"""`cumulus order`: sign and publish market orders, list a book's orders, match a published request
order, cancel your own."""

from __future__ import annotations

import click

from oracle.deployment import transact
from orderbook import orders
from orderbook.client import BookClient

from ..errors import SdkError
from ..market import book_call, domain, match_published, new_order
from ..requests import checked_params
from ..units import format_rlc, parse_rlc
from .common import TxProgress, chain_options, errors, json_option, key_options, report, say

DEFAULT_BOOK = "http://127.0.0.1:8090"
# option -> (order field, parser), and the kinds whose orders have that field
FIELDS = {
    "app": ("app", int), "dataset": ("dataset", int), "pool": ("pool", int), "price": ("price", parse_rlc),
    "volume": ("volume", int), "only_app": ("onlyApp", int), "only_dataset": ("onlyDataset", int),
    "only_pool": ("onlyPool", int), "only_requester": ("onlyRequester", str),
    "callback_gas_price": ("callbackGasPrice", parse_rlc), "max_trust": ("maxTrust", int),
    "worker_stake": ("workerStake", parse_rlc), "worker_score": ("workerScore", int),
    "max_price": ("maxPrice", parse_rlc), "trust": ("trust", int), "min_stake": ("minStake", parse_rlc),
    "min_score": ("minScore", int), "params": ("params", checked_params), "callback": ("callback", str),
    "callback_gas": ("callbackGasLimit", int), "duration": ("duration", int),
}


def book_option(func):
    return click.option("--book", "book_url", envvar="CUMULUS_ORDER_BOOK", default=DEFAULT_BOOK, show_default=True,
                        help="The order book's URL (or $CUMULUS_ORDER_BOOK).")(func)


@click.group()
def order():
    """Market orders: every party signs its terms, the Hub matches orders that agree.

    \b
    Example:
        cumulus order publish app --app 1 --price 2 --volume 100
        cumulus order list --app 1
        cumulus order publish request --app 1 --max-price 12 --trust 3 --params "3 4 5"
        cumulus order match 0x7a2e...
        cumulus order cancel 0x5f1c...
    """


@order.command()
@errors
@click.argument("kind", type=click.Choice(["app", "dataset", "pool", "request"]))
@click.option("--app", help="The app (app and request orders).")
@click.option("--dataset", help="The dataset (dataset orders).")
@click.option("--pool", help="The pool (pool orders).")
@click.option("--price", help="RLC per task (per replica for a pool); default: the registry's standing price.")
@click.option("--volume", default="1", show_default=True, help="Tasks the order may open.")
@click.option("--expires-in", default=86_400, show_default=True, help="Seconds the order stays valid.")
@click.option("--only-app", help="Only with this app (dataset and pool orders).")
@click.option("--only-dataset", help="Only with this dataset (app and pool orders).")
@click.option("--only-pool", help="Only on this pool (app and dataset orders).")
@click.option("--only-requester", help="Only for this requester's address.")
@click.option("--callback-gas-price", help="Pool orders: RLC per unit of callback gas (default: the registry's).")
@click.option("--max-trust", help="Pool orders: the most agreeing workers a task may ask for (default 1).")
@click.option("--worker-stake", help="Pool orders: the stake each signer holds at least, in RLC (default 0).")
@click.option("--worker-score", help="Pool orders: the reputation each signer holds at least (default 0).")
@click.option("--max-price", help="Request orders: the most one task may cost, in RLC (needed).")
@click.option("--trust", help="Request orders: workers that must agree (default 1).")
@click.option("--min-stake", help="Request orders: each signer's least stake, in RLC.")
@click.option("--min-score", help="Request orders: each signer's least reputation.")
@click.option("--params", help="Request orders: the app's arguments, as a shell line.")
@click.option("--callback", help="Request orders: a contract to call back with the result.")
@click.option("--callback-gas", help="Request orders: gas the callback gets.")
@click.option("--duration", help="Request orders: seconds to the deadline, 0 for the pool's most.")
@book_option
@chain_options
@key_options
@json_option
def publish(kind, expires_in, book_url, chain, account, as_json, **options):
    """Sign an order with your key and publish it on the book.

    You must be the app's or dataset's owner, or the pool's owner or oracle; a request order is
    yours as its requester, and anyone may match it (`cumulus order match`), paid from your
    escrow balance, which must cover its --max-price. `cumulus task request --best` signs
    nothing: it matches the book's orders at once.

    \b
    Example:
        cumulus order publish app --app 1 --price 1.5 --volume 100 --only-pool 2
        cumulus order publish pool --pool 2 --price 2.5 --max-trust 3 --worker-stake 100 --volume 10
        cumulus order publish request --app 1 --max-price 12 --trust 3 --params "3 4 5"
    """
    fields = {name for name, _ in orders.fields(kind)}
    values = {}
    for option, text in options.items():
        if text is None:
            continue
        name, parse = FIELDS[option]
        if name not in fields:
            raise SdkError(f"a {kind} order has no --{option.replace('_', '-')}")
        try:
            values[name] = parse(text)
        except ValueError:
            raise SdkError(f"--{option.replace('_', '-')} must be a number, not {text!r}") from None
    own = "app" if kind == "request" else kind
    if not values.get(own):
        raise SdkError(f"give --{own}: the {own} the order is for")
    standing = _standing(chain, own, values[own])
    if kind == "request":
        if "maxPrice" not in values:
            raise SdkError("give --max-price: the most one task may cost")
        values.setdefault("trust", 1)
        values["requester"] = account.address
        if values.get("callback") and not chain.w3.is_address(values["callback"]):
            raise SdkError(f"--callback {values['callback']!r} is not an address")
    else:
        values.setdefault("price", standing["price"])
    if kind == "pool":
        values.setdefault("callbackGasPrice", standing["callbackGasPrice"])
        values.setdefault("maxTrust", 1)
    now = chain.w3.eth.get_block("latest")["timestamp"]
    signed = new_order(kind, **values, expiry=now + expires_in)
    signature = orders.sign(kind, signed, account.key, domain(chain))
    listed = book_call(BookClient(book_url).publish, kind, signed, signature)
    price = signed["maxPrice"] if kind == "request" else signed["price"]
    report(listed, as_json, f"{kind} order {listed['digest']} published: {format_rlc(price)}"
                            f"{' at most' if kind == 'request' else ''}, volume {signed['volume']}, "
                            f"until block time {signed['expiry']}")


@order.command(name="match")
@errors
@click.argument("digest")
@book_option
@chain_options
@key_options
@json_option
def match_(digest, book_url, chain, account, as_json):
    """Match a request order published on the book with the book's cheapest compatible app,
    dataset and pool orders; the requester pays from its escrow balance (anyone may send it).

    \b
    Example:
        cumulus order match 0x5f1c...
    """
    task_id, receipt, price = match_published(chain, account, BookClient(book_url), digest, on_wait=TxProgress())
    report({"task_id": "0x" + task_id.hex(), "block": receipt["blockNumber"], "price_nrlc": price}, as_json,
           f"task 0x{task_id.hex()} opened in block {receipt['blockNumber']}: {format_rlc(price)}, "
           f"{receipt['gasUsed']:,} gas")


@order.command(name="list")
@errors
@click.option("--kind", type=click.Choice(["app", "dataset", "pool", "request"]))
@click.option("--app", type=int, help="Orders a task of this app could use.")
@click.option("--dataset", type=int, help="Orders a task with this dataset could use.")
@click.option("--pool", type=int, help="Orders a task on this pool could use.")
@click.option("--max-price", help="At most this price, in RLC.")
@click.option("--trust", type=int, help="Pools offering at least this trust.")
@click.option("--signer", help="Orders signed by this address.")
@click.option("--limit", default=50, show_default=True)
@book_option
@json_option
def list_(kind, app, dataset, pool, max_price, trust, signer, limit, book_url, as_json):
    """List the book's live orders, cheapest first.

    \b
    Example:
        cumulus order list --app 1 --kind pool --trust 3
    """
    found = book_call(BookClient(book_url).orders, kind=kind, app=app, dataset=dataset, pool=pool,
                      max_price=parse_rlc(max_price) if max_price else None, trust=trust, signer=signer, limit=limit)
    lines = [f"{len(found)} orders"] + [
        f"{e['digest']}  {e['kind']:<7} {_subject(e)}  {format_rlc(_price(e)):>16}  "
        f"{e['remaining']}/{e['volume']} left  signer {e['signer']}" for e in found]
    report(found, as_json, *lines)


@order.command()
@errors
@click.argument("digests", nargs=-1, required=True)
@click.option("--book", "book_url", envvar="CUMULUS_ORDER_BOOK", help="Also take them off this book at once.")
@chain_options
@key_options
@json_option
def cancel(digests, book_url, chain, account, as_json):
    """Cancel your orders on chain for good (by digest), and take them off the book.

    \b
    Example:
        cumulus order cancel 0x5f1c... 0x7a2e... --book http://127.0.0.1:8090
    """
    try:
        hashes = [orders.hex_bytes(d, "an order's digest") for d in digests]
    except orders.InvalidOrder:
        hashes = []
    if len(hashes) != len(digests) or any(len(h) != 32 for h in hashes):
        raise SdkError("an order's digest is 0x and 64 hex digits")
    receipt = transact(chain.w3, account, chain.hub.functions.cancelOrders(hashes), on_wait=TxProgress())
    if book_url:
        client = BookClient(book_url)
        for digest in digests:
            try:
                client.withdraw(digest.lower(), account)
            except Exception as exc:  # noqa: BLE001 - the book drops it anyway once it sees the cancellation
                say(f"the book kept {digest} for now ({exc}); it drops it once it sees the cancellation")
    report({"cancelled": list(digests), "block": receipt["blockNumber"]}, as_json,
           f"cancelled {len(digests)} orders in block {receipt['blockNumber']}")


def _standing(chain, kind: str, number: int) -> dict:
    """The registry's record of the app, dataset or pool (its standing price is an order's default)."""
    getter = getattr(chain.hub.functions, {"app": "s_apps", "dataset": "s_datasets", "pool": "s_pools"}[kind])
    names = [o["name"] for o in getter.abi["outputs"]]
    record = dict(zip(names, getter(number).call()))
    if int(record["owner"], 16) == 0:
        raise SdkError(f"no {kind} {number} on this Hub")
    return record


def _price(entry: dict) -> int:
    order = entry["order"]
    return int(order["maxPrice"] if entry["kind"] == "request" else order["price"])


def _subject(entry: dict) -> str:
    order = entry["order"]
    if entry["kind"] == "pool":
        return f"pool {order['pool']} (trust <= {order['maxTrust']})"
    if entry["kind"] == "request":
        return f"app {order['app']} (trust {order['trust']})"
    return f"{entry['kind']} {order[entry['kind']]}"
