"""The market's part of `make gas` (scripts/gas_table.py calls it): matches of signed orders,
first time and steady, and the whole paid round trip through the market, beside iExec PoCo's
`matchOrders`."""

from brownie import chain

from offchain_grid.contribution import hub_domain
from orderbook import orders

RLC_UNIT = 10**9
DATASET_PRICE = 2 * RLC_UNIT
MATCH_GOAL, ROUND_TRIP_GOAL = 150_000, 250_000
POCO_MATCH_AVERAGE, POCO_MATCH_LOW, POCO_MATCH_HIGH = 761_000, 642_000, 788_000


def measure(world, twice, finalize):
    """Rows (operation, first time, steady) for the market; `twice` measures an operation on a
    fresh state and again, `finalize(world, trust, request)` settles a task and returns its gas."""
    _set_up(world)
    return [
        ("matchOrders: signed app, pool and request orders, sent by a third party, paid from the requester's "
         "deposit", *twice(world, lambda w: _match(w).gas_used)),
        ("matchOrders: the same with a signed dataset order", *twice(world, lambda w: _match(w, dataset=True).gas_used)),
        ("matchOrders by `approveAndCall` (the requester pays and matches; signed app and pool orders)",
         *twice(world, lambda w: _match(w, one_tx=True).gas_used)),
        ("cancelOrders, one order", *twice(world, _cancel)),
        ("**round trip through the market, trust 1**: `approveAndCall` match + finalize + callback",
         *twice(world, lambda w: _round_trip(w, finalize, one_tx=True))),
        ("**round trip through the market, trust 1**: third-party match from a deposit + finalize + callback",
         *twice(world, lambda w: _round_trip(w, finalize, one_tx=False))),
    ]


def render(rows) -> list[str]:
    """The market's section of docs/gas.md."""
    by_name = {name: (first, steady) for name, first, steady in rows}
    signed = next(v for k, v in by_name.items() if k.startswith("matchOrders: signed app"))
    with_dataset = next(v for k, v in by_name.items() if "dataset order" in k)
    one_tx = next(v for k, v in by_name.items() if "by `approveAndCall`" in k)
    trip = next(v for k, v in by_name.items() if "market, trust 1**: `approveAndCall`" in k)
    lines = [
        "## The market: matching signed orders",
        "",
        "`matchOrders` checks each order's EIP-712 signature (the app owner's, the dataset owner's,",
        "the pool owner's or oracle's, the requester's unless it sends the match itself), expiry,",
        "remaining volume and restrictions, that the pool offers the trust, stake and reputation",
        "asked for and that the price fits under the requester's maximum, consumes one unit of each",
        "order and opens the task as `requestTask` does. *First time*: each order's first match (its",
        "use count goes from zero to one); *steady*: a second match of the same orders. The",
        "requester's deposit, the orders' signers and the registries are the same throughout.",
        "",
        "| operation | first time | steady |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {first:,} | {steady:,} |" for name, first, steady in rows]
    lines += [
        "",
        "| system | matching orders | gas |",
        "|---|---|---:|",
        f"| Cumulus | `matchOrders`, signed app, pool and request orders, steady (first time) | "
        f"{signed[1]:,} ({signed[0]:,}) |",
        f"| Cumulus | the same with a dataset order | {with_dataset[1]:,} ({with_dataset[0]:,}) |",
        f"| iExec PoCo | `matchOrders` (app, workerpool and request orders; dataset optional), its own gas report | "
        f"{POCO_MATCH_AVERAGE:,} average |",
        f"| iExec PoCo | the same, measured on a local chain | {POCO_MATCH_LOW:,} to {POCO_MATCH_HIGH:,} |",
        "",
        f"- A match of signed app, pool and request orders: {signed[1]:,} gas steady, "
        f"{_verdict(signed[1], MATCH_GOAL)} the {MATCH_GOAL:,} goal; {POCO_MATCH_AVERAGE / signed[1]:.1f} times "
        f"less than PoCo's average. The first time costs {signed[0] - signed[1]:,} more: three",
        "  use counts written from zero (about 17,100 more each than updating them).",
        f"- The whole paid round trip through the market at trust 1 (the requester's `approveAndCall`",
        f"  carrying the match, then finalize with one signature and the `ValueStore` callback): "
        f"{trip[1]:,} gas steady, {_verdict(trip[1], ROUND_TRIP_GOAL)} the {ROUND_TRIP_GOAL:,} goal "
        f"({trip[0]:,} the first time).",
        f"- When the requester sends the match itself (`approveAndCall`, {one_tx[1]:,} steady), its own",
        "  order needs no signature: the transaction is its consent.",
        "- Where it goes: three signature recoveries (about 3,500 each with the hashing), the",
        "  use counts (a cold slot read and written per order: 5,000 steady), the registries' entries",
        "  the request copies (the app's and the pool's owners and terms: three cold slots), the task's",
        "  slot, the `TaskRequested` event (the request copied whole) and `OrdersMatched`, and the",
        "  call into the Hub's market half (a cold `DELEGATECALL`, 2,600). The signer of an order is",
        "  checked by `ecrecover` first and through ERC-1271 only when that fails, so an account's",
        "  signature costs no code lookup.",
        "- PoCo's `matchOrders` also writes the deal (about 20 storage slots) and locks each party's",
        "  stake; here the request is hashed, not stored, and only the task's status and each",
        "  order's use count are written.",
        "",
    ]
    return lines


# --------------------------------------------------------------------------- set-up


def _set_up(world):
    hub, user = world["hub"], world["user"]
    world["dataset_owner"] = world.get("dataset_owner") or world["app_owner"]
    hub.registerDataset(DATASET_PRICE, b"\x22" * 32, "data", {"from": world["dataset_owner"]})
    world["dataset"] = hub.s_datasetCount()
    world["rlc"].approve(hub, 10_000 * RLC_UNIT, {"from": user})
    hub.deposit(10_000 * RLC_UNIT, {"from": user})
    world["expiry"] = expiry = chain.time() + 10**7
    world["orders"] = {
        "app": orders.new_order("app", app=world["app"], price=world["app_price"], volume=10**6, expiry=expiry),
        "dataset": orders.new_order("dataset", dataset=world["dataset"], price=DATASET_PRICE, volume=10**6,
                                    expiry=expiry),
        "pool": orders.new_order("pool", pool=world["pool"], price=world["pool_price"],
                                 callbackGasPrice=world["callback_gas_price"], maxTrust=5, workerStake=10**12,
                                 workerScore=10**6, volume=10**6, expiry=expiry),
    }


def _domain(world):
    return hub_domain(chain.id, world["hub"].address)


def _request(world, dataset):
    """The requester's order, the same each time: a volume of many tasks."""
    key = "request with dataset" if dataset else "request"
    if key not in world["orders"]:
        world["orders"][key] = orders.new_order(
            "request", requester=world["user"].address, app=world["app"], dataset=world["dataset"] if dataset else 0,
            maxPrice=10**15, trust=1, callback=world["store"].address, callbackGasLimit=world["callback_gas"],
            volume=10**6, expiry=world["expiry"], params=b"vanity ab")
    return world["orders"][key]


def _match(world, dataset=False, one_tx=False):
    """The same orders each time (the request order too: a volume of many tasks)."""
    hub, made, domain = world["hub"], world["orders"], _domain(world)
    request = _request(world, dataset)
    signatures = (orders.sign("app", made["app"], world["keys"]["app"], domain),
                  orders.sign("dataset", made["dataset"], world["keys"]["app"], domain) if dataset else b"",
                  orders.sign("pool", made["pool"], world["keys"]["pool"], domain),
                  b"" if one_tx else orders.sign("request", request, world["keys"]["user"], domain))
    empty = orders.new_order("dataset", salt=bytes(32))
    args = (orders.as_tuple("app", made["app"]), orders.as_tuple("dataset", made["dataset"] if dataset else empty),
            orders.as_tuple("pool", made["pool"]), orders.as_tuple("request", request), signatures)
    if one_tx:
        data = bytes.fromhex(hub.matchOrders.encode_input(*args)[2:])
        return world["rlc"].approveAndCall(hub, 10**15, data, {"from": world["user"]})
    return hub.matchOrders(*args, {"from": world["oracle"]})


def _cancel(world):
    return world["hub"].cancelOrders([orders.digest("app", world["orders"]["app"], _domain(world))],
                                     {"from": world["app_owner"]}).gas_used


def _round_trip(world, finalize, one_tx):
    tx = _match(world, one_tx=one_tx)
    return tx.gas_used + finalize(world, 1, tuple(tx.events["TaskRequested"]["request"]))


def _verdict(value, goal):
    return "within" if value <= goal else f"{value - goal:,} gas above"
