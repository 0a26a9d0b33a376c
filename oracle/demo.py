"""`make demo`: one paid request through the whole system on this machine.

A local chain, the contracts, the vanity app on the grid and on chain, a pool with three
staked workers, the oracle; an end user pays RLC with one approveAndCall and asks for an
address with a chosen prefix; the workers compute it, the oracle finalizes, and the demo
prints the address the dapp holds, the gas used and the RLC each party received. Run by a
person at a terminal, it then serves the dapp's front end and the grid's dashboard until
interrupted; run by a script (no terminal, or CI=true) it stops after that first answer, so
`make demo` always ends on its own there.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from offchain_grid.errors import GridError

from . import localnet
from .artifacts import PROJECT_ROOT
from .localnet import finalize_receipt, request_vanity, start_oracle
from .models import TaskRecord


def _check_prefix(prefix: str) -> str:
    prefix = prefix.removeprefix("0x")
    if not 1 <= len(prefix) <= 6 or any(c not in "0123456789abcdefABCDEF" for c in prefix):
        raise click.BadParameter(f"{prefix!r} is not 1 to 6 hex digits (longer prefixes take hours on a laptop)")
    return prefix


def _interactive() -> bool:
    """A person at a terminal, who can press Ctrl-C; a script waiting for the demo to end is not."""
    return sys.stdin.isatty() and sys.stdout.isatty() and os.environ.get("CI", "").lower() != "true"


@click.command()
@click.option("--prefix", default="c0de", show_default=True, callback=lambda _c, _p, v: _check_prefix(v),
              help="Hex prefix of the wanted address (1 to 6 hex digits).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=PROJECT_ROOT / "var" / "demo",
              show_default=True)
@click.option("--once/--serve", default=lambda: not _interactive(),
              help="Stop after the first answer, or serve the front end and the dashboard until interrupted "
                   "(default: serve at a terminal; --once in scripts and when CI=true).")
@click.option("--port", default=8088, show_default=True, help="Port of the front end (0: any free port).")
def main(prefix: str, workdir: Path, once: bool, port: int):
    """Run one paid vanity-address request end to end on this machine, then serve its front end."""
    shutil.rmtree(workdir, ignore_errors=True)
    set_up_since = time.monotonic()

    def progress(step: str) -> None:
        click.echo(f"[{time.monotonic() - set_up_since:5.1f}s] {step}")

    net = localnet.build(workdir, workers=3, trust=3, progress=progress)
    progress("starting the oracle")
    oracle = start_oracle(net, workdir)
    try:
        rlc, hub = net.contract("RLC"), net.contract("Hub")
        user = net.key(localnet.USER)
        price = localnet.vanity_price(net)
        before = rlc.functions.balanceOf(user.address).call()
        click.echo(f"contracts: RLC {net.deployment.rlc}  Hub {net.deployment.hub}  VanityAddress {net.vanity}")
        click.echo(f"end user {user.address} pays {price / 1e9:g} RLC (approveAndCall) for prefix 0x{prefix} ...")
        started = time.time()
        task_id, request_receipt = request_vanity(net, prefix, price)
        click.echo(f"task {task_id.hex()[:16]}... requested in block {request_receipt['blockNumber']}"
                   f" ({request_receipt['gasUsed']:,} gas)")
        found = wait_with_progress(net, task_id, workdir)
        receipt, event = finalize_receipt(net, task_id)
        click.echo(f"\nfound address: {found}   (read from VanityAddress.s_found, {time.time() - started:.1f}s)")
        click.echo(f"finalized in block {receipt['blockNumber']} by the oracle ({receipt['gasUsed']:,} gas; "
                   f"callback ok={event['args']['callbackSucceeded']}, {event['args']['callbackGasUsed']:,} gas)")
        click.echo(f"round trip gas: {request_receipt['gasUsed'] + receipt['gasUsed']:,}")
        click.echo(f"\nRLC paid by the end user: {(before - rlc.functions.balanceOf(user.address).call()) / 1e9:g}")
        parties = [("app owner", net.key(localnet.APP_OWNER).address),
                   ("pool owner", net.key(localnet.POOL_OWNER).address)]
        parties += [(f"worker {w.address[:10]}", w.address) for w in net.chain.keys[localnet.FIRST_WORKER:][:3]]
        for name, address in parties:
            click.echo(f"  {name:<18} received {hub.functions.balanceOf(address).call() / 1e9:g} RLC (escrow balance)")
        if not once:
            serve(net, port)
    except Exception as exc:
        click.echo(f"demo failed: {exc}; logs are in {workdir}", err=True)
        raise SystemExit(1)
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()


def serve(net, port: int) -> None:
    """The vanity dapp's page and the grid's dashboard, until Ctrl-C (or SIGTERM)."""
    from sdk.frontend.config import page_config
    from sdk.frontend.server import FrontEnd

    dashboard = f"{net.grid.url}/dashboard"
    config = page_config(net.deployment, dev_account=net.key(localnet.USER).address, dashboard=dashboard)
    try:
        front = FrontEnd(config, net.chain.url, oracle_url=net.monitor_url, scheduler_url=net.grid.url,
                         port=port).start()
    except OSError as exc:  # the port is taken: any free one will do
        click.echo(f"port {port} is not free ({exc.strerror}); using another", err=True)
        front = FrontEnd(config, net.chain.url, oracle_url=net.monitor_url, scheduler_url=net.grid.url).start()
    click.echo(f"\nfront end:   {front.url}   (ask for another prefix, pay as {config['devAccount']})")
    click.echo(f"dashboard:   {dashboard}")
    click.echo(f"metrics:     {net.grid.url}/metrics  {net.monitor_url}/metrics")
    click.echo("serving until Ctrl-C")
    front.serve_until_stopped()


def wait_with_progress(net, task_id: bytes, workdir: Path, timeout: float = 180.0, heartbeat: float = 3.0) -> str:
    """Waits for the dapp's answer, with a line at each step of the task and every few seconds."""
    vanity = net.contract("VanityAddress")
    engine = create_engine(f"sqlite:///{workdir / 'oracle.db'}")  # the oracle's, read only here
    grid = net.grid.client()
    started = time.monotonic()
    last, shown_at = None, 0.0
    while time.monotonic() - started < timeout:
        found = vanity.functions.s_found(task_id).call()
        if int(found, 16):
            return found
        where = _where(engine, grid, "0x" + task_id.hex())
        elapsed = time.monotonic() - started
        if where != last or elapsed - shown_at >= heartbeat:
            click.echo(f"[{elapsed:5.1f}s] {where}")
            last, shown_at = where, elapsed
        time.sleep(0.5)
    raise TimeoutError(f"no answer within {timeout:.0f}s")


def _where(engine, grid, task_id: str) -> str:
    """Where the task stands: the oracle's record of it, and its grid job's status."""
    try:
        with Session(engine) as session:
            task = session.get(TaskRecord, task_id)
    except SQLAlchemyError:
        task = None
    if task is None:
        return "waiting for the oracle to see the request (confirmations)"
    if not task.job_uid:
        return f"oracle: {task.state}"
    try:
        job = grid.job(task.job_uid)["status"]
    except GridError:
        job = "unknown"
    return f"oracle: {task.state}, grid job {task.job_uid[:8]} {job}"


if __name__ == "__main__":
    main()
