"""A paid request, as a requester sends it: straight to the Hub (from the escrow balance, or an
allowance given in the same step), or through a dapp with one approveAndCall."""

from __future__ import annotations

from web3.logs import DISCARD

from oracle.arguments import app_arguments
from oracle.deployment import transact

from .chain import Chain
from .errors import SdkError
from .units import format_rlc

ZERO_ADDRESS = "0x" + "00" * 20
# the part of a dapp a requester needs: the price a request costs (the template's `price()`)
DAPP_ABI = [{"type": "function", "name": "price", "stateMutability": "view", "inputs": [],
             "outputs": [{"name": "", "type": "uint256"}]}]


def checked_params(params: str) -> bytes:
    """The request's bytes, once they are shown to give the app arguments (before paying)."""
    try:
        app_arguments(params)
    except ValueError as exc:
        raise SdkError(f"the app would get no arguments from {params!r}: {exc}") from None
    return params.encode("utf-8")


def spec_for(chain: Chain, **values) -> dict:
    """A TaskSpec with `values` by field name (zero ones may be left out)."""
    return struct_for(chain, "requestTask", **values)


def struct_for(chain: Chain, function: str, **values) -> dict:
    """The struct a Hub function takes as its last argument, with `values` by field name and
    every other field zero: built from the ABI, so a field the Hub adds later takes its zero
    default here. A value for a field the Hub does not have is refused unless it is zero."""
    [entry] = [f for f in chain.hub.abi if f.get("name") == function]
    struct = {}
    for component in entry["inputs"][-1]["components"]:
        kind = component["type"]
        default = ZERO_ADDRESS if kind == "address" else b"" if kind == "bytes" else 0
        struct[component["name"]] = values.pop(component["name"], default)
    unknown = [name for name, value in values.items() if value]
    if unknown:
        raise SdkError(f"this Hub's {function} takes no {', '.join(unknown)}")
    return struct


def request_from_hub(chain: Chain, account, spec: dict, max_price: int | None, on_wait=None) -> tuple[bytes, dict]:
    price = chain.hub.functions.quote(spec).call()
    if max_price is not None and price > max_price:
        raise SdkError(f"the task costs {format_rlc(price)}, above --max-price {format_rlc(max_price)}")
    spec = {**spec, "maxPrice": price}
    if chain.hub.functions.s_balances(account.address).call() < price:  # else the escrow balance pays
        transact(chain.w3, account, chain.rlc.functions.approve(chain.hub.address, price), on_wait=on_wait)
    receipt = transact(chain.w3, account, chain.hub.functions.requestTask(spec), on_wait=on_wait)
    return _task_id(chain, receipt), receipt


def request_through_dapp(chain: Chain, account, dapp: str, data: bytes, max_payment: int | None,
                         on_wait=None) -> tuple[bytes, dict]:
    if max_payment is None:
        try:
            max_payment = chain.w3.eth.contract(address=dapp, abi=DAPP_ABI).functions.price().call()
        except Exception:  # noqa: BLE001 - any dapp without price(): the requester must say
            raise SdkError(f"the dapp at {dapp} does not say its price(): give --max-price") from None
    call = chain.rlc.functions.approveAndCall(dapp, max_payment, data)
    receipt = transact(chain.w3, account, call, on_wait=on_wait)
    return _task_id(chain, receipt), receipt


def _task_id(chain: Chain, receipt: dict) -> bytes:
    events = chain.hub.events.TaskRequested().process_receipt(receipt, errors=DISCARD)
    if not events:
        raise SdkError(f"transaction 0x{bytes(receipt['transactionHash']).hex()} requested no task")
    return bytes(events[0]["args"]["taskId"])
