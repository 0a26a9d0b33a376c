"""`make demo`: one paid request through the whole system on this machine.

A local chain, the contracts, the vanity app on the grid and on chain, a pool with three
staked workers, the oracle; an end user pays RLC with one approveAndCall and asks for an
address with a chosen prefix; the workers compute it, the oracle finalizes, and the demo
prints the address the dapp holds, the gas used and the RLC each party received.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
from web3 import Web3
from web3.logs import DISCARD

from . import localnet
from .artifacts import PROJECT_ROOT
from .deployment import transact


def start_oracle(net: localnet.LocalNet, workdir: Path, *extra: str) -> subprocess.Popen:
    """`oracle run` as its own process, against the local chain and grid."""
    env = dict(os.environ, ORACLE_PRIVATE_KEY="0x" + bytes(net.key(localnet.ORACLE).key).hex())
    log = open(workdir / "oracle.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "oracle.cli", "run", "--rpc-url", net.chain.url,
         "--deployment", str(workdir / "local.json"), "--scheduler", net.grid.url, "--grid-token", net.grid.token,
         "--db", f"sqlite:///{workdir / 'oracle.db'}", "--poll-interval", "0.5", *extra],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def request_vanity(net: localnet.LocalNet, prefix: str, max_payment: int) -> tuple[bytes, dict]:
    """The end user's one transaction: approveAndCall on RLC, to the vanity dapp."""
    user = net.key(localnet.USER)
    init_code_hash = Web3.keccak(text="cumulus demo contract")
    data = localnet.vanity_request(prefix, user.address, init_code_hash)
    receipt = transact(net.w3, user, net.contract("RLC").functions.approveAndCall(net.vanity, max_payment, data))
    event = net.contract("VanityAddress").events.VanityRequested().process_receipt(receipt, errors=DISCARD)[0]
    return bytes(event["args"]["taskId"]), receipt


def wait_for_answer(net: localnet.LocalNet, task_id: bytes, timeout: float = 180.0) -> str:
    vanity = net.contract("VanityAddress")
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = vanity.functions.s_found(task_id).call()
        if int(found, 16):
            return found
        time.sleep(0.5)
    raise TimeoutError(f"no answer within {timeout:.0f}s")


def finalize_receipt(net: localnet.LocalNet, task_id: bytes):
    hub = net.contract("Hub")
    logs = hub.events.TaskFinalized().get_logs(from_block=net.deployment.start_block, argument_filters={"taskId": task_id})
    return net.w3.eth.get_transaction_receipt(logs[0]["transactionHash"]), logs[0]


@click.command()
@click.option("--prefix", default="c0de", show_default=True, help="Hex prefix of the wanted address.")
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
