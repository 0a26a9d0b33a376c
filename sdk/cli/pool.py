"""`cumulus pool`: create a worker pool, set its terms, show it."""

from __future__ import annotations

import click
from web3 import Web3
from web3.logs import DISCARD

from oracle.deployment import transact

from ..errors import SdkError
from ..present import plain, readable
from ..requests import ZERO_ADDRESS, struct_for
from ..units import parse_rlc
from .common import TxProgress, chain_options, errors, json_option, key_options, report, say

# option -> (Pool field, how the option's text becomes the field's value)
TERMS = {
    "price": ("price", parse_rlc),
    "fee_bps": ("ownerFeeBps", int),
    "oracle": ("oracle", str),
    "min_stake": ("minStake", parse_rlc),
    "max_duration": ("maxDuration", int),
    "callback_gas_price": ("callbackGasPrice", parse_rlc),
}


def terms_options(func):
    func = click.option("--callback-gas-price", help="RLC per unit of callback gas a requester asks for "
                                                     "(e.g. '0.00001' or '10000 nRLC').")(func)
    func = click.option("--max-duration", help="Seconds a task may take at most; also how long a leaving "
                                               "worker's stake stays locked.")(func)
    func = click.option("--min-stake", help="RLC each worker must stake to count.")(func)
    func = click.option("--oracle", help="Address of the key that finalizes the pool's tasks.")(func)
    func = click.option("--fee-bps", help="Your share of the pool price, in basis points (1000 = 10%).")(func)
    func = click.option("--price", help="RLC per replica: a task at trust t pays t times this.")(func)
    return func


@click.group()
def pool():
    """Worker pools: create one, set its terms, show one.

    \\b
    Example:
        cumulus pool create --price 3 --fee-bps 1000 --oracle 0x90F7... --min-stake 100 --max-duration 600
        cumulus pool show 1
    """


@pool.command()
@errors
@terms_options
@chain_options
@key_options
@json_option
def create(chain, account, as_json, **options):
    """Register a pool owned by your key; prints its id. Every term is needed.

    \\b
    Example:
        cumulus pool create --price 3 --fee-bps 1000 --oracle 0x90F79bf6EB2c4f870365E785982E1f101E93b906 \\
            --min-stake 100 --max-duration 600 --callback-gas-price 0
    """
    given = _given(options)
    config = struct_for(chain, "registerPool", owner=account.address, **given)
    absent = [f"--{o.replace('_', '-')}" for o, (f, _) in TERMS.items() if f in config and f not in given]
    if absent:
        raise SdkError(f"a new pool needs {', '.join(absent)}")
    receipt = transact(chain.w3, account, chain.hub.functions.registerPool(config), on_wait=TxProgress())
    [event] = chain.hub.events.PoolRegistered().process_receipt(receipt, errors=DISCARD)
    new = event["args"]["pool"]
    say(f"pool {new} registered by {account.address}")
    report({"pool": new, "terms": plain(chain.record("s_pools", new))}, as_json, str(new))


@pool.command("set-terms")
@errors
@click.argument("pool_id", type=int)
@terms_options
@click.option("--owner", help="Hand the pool to this address.")
@chain_options
@key_options
@json_option
def set_terms(pool_id, owner, chain, account, as_json, **options):
    """Change some of your pool's terms for tasks requested from now on (a task keeps the terms
    it was requested with); the others stay.

    \\b
    Example:
        cumulus pool set-terms 1 --price 4 --fee-bps 500
    """
    current = chain.record("s_pools", pool_id)
    if current["owner"] == ZERO_ADDRESS:
        raise SdkError(f"no pool {pool_id} on the Hub at {chain.deployment.hub}")
    if current["owner"] != account.address:
        raise SdkError(f"pool {pool_id} belongs to {current['owner']}, not to {account.address}")
    config = {**current, **_given(options), **({"owner": chain.w3.to_checksum_address(owner)} if owner else {})}
    transact(chain.w3, account, chain.hub.functions.updatePool(pool_id, config), on_wait=TxProgress())
    _show(chain, pool_id, as_json)


@pool.command()
@errors
@click.argument("pool_id", type=int)
@chain_options
@json_option
def show(pool_id, chain, as_json):
    """Show a pool's terms.

    \\b
    Example:
        cumulus pool show 1
    """
    _show(chain, pool_id, as_json)


def _show(chain, pool_id: int, as_json: bool) -> None:
    terms = chain.record("s_pools", pool_id)
    if terms["owner"] == ZERO_ADDRESS:
        raise SdkError(f"no pool {pool_id} on the Hub at {chain.deployment.hub}")
    report({"pool": pool_id, "terms": plain(terms)}, as_json, f"pool {pool_id}",
           *(f"  {k}: {readable(k, v)}" for k, v in terms.items()))


def _given(options: dict) -> dict:
    """The terms given on the command line, as Pool fields."""
    given = {}
    for option, (field, convert) in TERMS.items():
        text = options.get(option)
        if text is None:
            continue
        try:
            given[field] = convert(text)
        except ValueError:
            raise SdkError(f"--{option.replace('_', '-')} {text!r} is not a number") from None
    if "oracle" in given:
        if not Web3.is_address(given["oracle"]):
            raise SdkError(f"--oracle {given['oracle']!r} is not an address")
        given["oracle"] = Web3.to_checksum_address(given["oracle"])
    return given
