"""Requests through the whole path on anvil (1-second blocks, 1 confirmation, a trivial app):
from the request's block to the callback's block, p50 and p95, in blocks and seconds, and the
gas per round trip, at trust 1 and trust 3.

    .venv/bin/python -m bench.oracle_bench [--requests 50] [--spacing 0.1] [--trust 1 --trust 3] [--out FILE]

Finalizations are settled in batches: a round trip's gas is its request's plus its share of the
batch that finalized it (the batch's gas divided by the tasks it finalized).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import click
from web3.logs import DISCARD

from oracle import localnet
from oracle.deployment import deploy_contract, transact
from oracle.hub import task_spec
from oracle.localnet import start_oracle

APP = Path(__file__).parent / "apps" / "trivial.py"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(trust: int, requests: int, workdir: Path, spacing: float = 0.1) -> dict:
    net = localnet.build(workdir, workers=3, trust=trust, block_time=1.0)
    oracle = start_oracle(net, workdir, "--poll-interval", "0.1", "--confirmations", "1")
    try:
        app = net.add_app("trivial", APP)
        store = deploy_contract(net.w3, net.key(localnet.DEPLOYER), "ValueStore")
        hub, rlc = net.contract("Hub"), net.contract("RLC")
        user = net.key(localnet.USER)
        spec = task_spec(app, net.deployment.pool, trust=trust, callback=store.address, callback_gas=60_000)
        price = hub.functions.quote(spec).call()
        transact(net.w3, user, rlc.functions.approve(hub.address, price * requests))
        transact(net.w3, user, hub.functions.deposit(price * requests))
        nonce = net.w3.eth.get_transaction_count(user.address)
        hashes = []
        for i in range(requests):
            tx = hub.functions.requestTask(spec[:-1] + (f"{i}".encode(),)).build_transaction(
                {"from": user.address, "nonce": nonce + i, "gas": 300_000})
            hashes.append(net.w3.eth.send_raw_transaction(user.sign_transaction(tx).raw_transaction))
            time.sleep(spacing)  # an even stream of requests (0.1 s: about ten a block)
        receipts = [net.w3.eth.wait_for_transaction_receipt(h, timeout=120) for h in hashes]
        requested = {}
        for receipt in receipts:
            [event] = hub.events.TaskRequested().process_receipt(receipt, errors=DISCARD)
            requested[bytes(event["args"]["taskId"])] = receipt
        deadline = time.time() + 300
        finalized = {}
        while len(finalized) < requests and time.time() < deadline:
            for event in hub.events.TaskFinalized().get_logs(from_block=net.deployment.start_block):
                finalized.setdefault(bytes(event["args"]["taskId"]), event)
            time.sleep(1)
        per_batch: dict = {}
        for event in finalized.values():
            per_batch[event["transactionHash"]] = per_batch.get(event["transactionHash"], 0) + 1
        blocks, seconds, gas = [], [], []
        for task_id, receipt in requested.items():
            if task_id not in finalized:
                continue
            final = net.w3.eth.get_transaction_receipt(finalized[task_id]["transactionHash"])
            blocks.append(final["blockNumber"] - receipt["blockNumber"])
            t0 = net.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
            t1 = net.w3.eth.get_block(final["blockNumber"])["timestamp"]
            seconds.append(t1 - t0)
            gas.append(receipt["gasUsed"] + final["gasUsed"] // per_batch[final["transactionHash"]])
        return {"trust": trust, "requests": requests, "served": len(blocks),
                "p50_blocks": percentile(blocks, 0.5), "p95_blocks": percentile(blocks, 0.95),
                "p50_s": percentile(seconds, 0.5), "p95_s": percentile(seconds, 0.95),
                "gas": statistics.mean(gas), "gas_min": min(gas), "gas_max": max(gas)}
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()


def table(results: list[dict]) -> str:
    lines = ["| trust | requests | served | p50 blocks | p95 blocks | p50 s | p95 s | gas per round trip (mean, min-max) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['trust']} | {r['requests']} | {r['served']} | {r['p50_blocks']} | {r['p95_blocks']} | "
                     f"{r['p50_s']} | {r['p95_s']} | {r['gas']:,.0f} ({r['gas_min']:,}-{r['gas_max']:,}) |")
    return "\n".join(lines)


@click.command()
@click.option("--requests", default=50, show_default=True)
@click.option("--spacing", default=0.1, show_default=True, help="Seconds between two requests.")
@click.option("--trust", "trusts", multiple=True, type=int, default=(1, 3), show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the table here.")
def main(requests: int, spacing: float, trusts: tuple[int, ...], out: Path | None):
    """Latency and gas of paid requests through the whole path."""
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    results = []
    for trust in trusts:
        with tempfile.TemporaryDirectory(prefix="oracle-bench-") as tmp:
            click.echo(f"trust {trust}: {requests} requests ...", err=True)
            results.append(run(trust, requests, Path(tmp), spacing))
    text = table(results)
    click.echo(text)
    if out:
        out.write_text("# Oracle round trips on anvil (1-second blocks, 1 confirmation)\n\n"
                       "Produced by `.venv/bin/python -m bench.oracle_bench`.\n\n" + text + "\n")


if __name__ == "__main__":
    main()
