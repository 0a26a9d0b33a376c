"""`make demo`: one paid request through the whole system on this machine.

A local chain, the contracts, the vanity app on the grid and on chain, a pool with three
staked workers, the oracle; an end user pays RLC with one approveAndCall and asks for an
address with a chosen prefix; the workers compute it, the oracle finalizes, and the demo
prints the address the dapp holds, the gas used and the RLC each party received.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import click

from . import localnet
from .artifacts import PROJECT_ROOT
from .localnet import finalize_receipt, request_vanity, start_oracle, wait_for_answer


def _check_prefix(prefix: str) -> str:
    prefix = prefix.removeprefix("0x")
    if not 1 <= len(prefix) <= 6 or any(c not in "0123456789abcdefABCDEF" for c in prefix):
        raise click.BadParameter(f"{prefix!r} is not 1 to 6 hex digits (longer prefixes take hours on a laptop)")
    return prefix


@click.command()
@click.option("--prefix", default="c0de", show_default=True, callback=lambda _c, _p, v: _check_prefix(v),
              help="Hex prefix of the wanted address (1 to 6 hex digits).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=PROJECT_ROOT / "var" / "demo",
              show_default=True)
def main(prefix: str, workdir: Path):
    """Run one paid vanity-address request end to end on this machine."""
    shutil.rmtree(workdir, ignore_errors=True)
    click.echo("starting anvil, deploying contracts, starting the scheduler and 3 workers ...")
    net = localnet.build(workdir, workers=3, trust=3)
    oracle = start_oracle(net, workdir)
    try:
        rlc, hub = net.contract("RLC"), net.contract("Hub")
        user = net.key(localnet.USER)
        price = hub.functions.quote(net.deployment.app, 0, net.deployment.pool).call()
        before = rlc.functions.balanceOf(user.address).call()
        click.echo(f"contracts: RLC {net.deployment.rlc}  Hub {net.deployment.hub}  VanityAddress {net.vanity}")
        click.echo(f"end user {user.address} pays {price / 1e9:g} RLC (approveAndCall) for prefix 0x{prefix} ...")
        started = time.time()
        task_id, request_receipt = request_vanity(net, prefix, price)
        click.echo(f"task {task_id.hex()[:16]}... requested in block {request_receipt['blockNumber']}"
                   f" ({request_receipt['gasUsed']:,} gas)")
        found = wait_for_answer(net, task_id)
        receipt, event = finalize_receipt(net, task_id)
        click.echo(f"\nfound address: {found}   (read from VanityAddress.s_found, {time.time() - started:.1f}s)")
        click.echo(f"finalized in block {receipt['blockNumber']} by the oracle ({receipt['gasUsed']:,} gas; "
                   f"callback ok={event['args']['callbackSucceeded']}, {event['args']['callbackGasUsed']:,} gas)")
        click.echo(f"round trip gas: {request_receipt['gasUsed'] + receipt['gasUsed']:,}")
        click.echo(f"\nRLC paid by the end user: {(before - rlc.functions.balanceOf(user.address).call()) / 1e9:g}")
        parties = [("app owner", net.key(localnet.APP_OWNER).address),
                   ("pool owner", net.key(localnet.POOL_OWNER).address)]
        parties += [(f"worker {w[:10]}", w) for w in event["args"]["workers"]]
        for name, address in parties:
            click.echo(f"  {name:<18} received {hub.functions.s_balances(address).call() / 1e9:g} RLC (escrow balance)")
    except Exception as exc:
        click.echo(f"demo failed: {exc}; logs are in {workdir}", err=True)
        raise SystemExit(1)
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()


if __name__ == "__main__":
    main()
