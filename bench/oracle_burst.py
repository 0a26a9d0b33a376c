"""A burst of paid requests through the whole path on anvil (1-second blocks, 1 confirmation, a
trivial app, the grid's workers on this machine), at trust 1 and trust 3: whether every
request was served exactly once, tasks per second, blocks from request to callback (p50, p95),
finalize gas per task, and the oracle's CPU per task.

    .venv/bin/python -m bench.oracle_burst [--requests 1000] [--workers 3] [--slots 4] [--out FILE]
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import click
from web3.logs import DISCARD

from oracle import localnet
from oracle.deployment import deploy_contract
from oracle.localnet import request_burst, start_oracle

from .oracle_bench import percentile

APP = Path(__file__).parent / "apps" / "trivial.py"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


STAGES = ("request block -> oracle saw it", "oracle saw it -> grid job created", "grid job created -> completed",
          "job completed -> batch sent", "batch sent -> batch block")


def stage_seconds(marks: list[tuple[float, ...]]) -> dict[str, tuple[float, float]]:
    """p50 and p95 of each stage, from one tuple of six wall-clock times per task (request block,
    seen, job created, job completed, batch sent, batch block): where a burst's time goes."""
    spans = {name: [m[i + 1] - m[i] for m in marks] for i, name in enumerate(STAGES)}
    return {name: (percentile(v, 0.5), percentile(v, 0.95)) for name, v in spans.items() if v}


def task_marks(workdir: Path, requested_ts: dict[str, float], finalized_ts: dict[str, float]) -> list[tuple[float, ...]]:
    """The six times of each finalized task, read from the oracle's and the grid's databases."""
    oracle = sqlite3.connect(workdir / "oracle.db")
    grid = sqlite3.connect(workdir / "grid" / "scheduler.db")
    try:
        sent = dict(oracle.execute("SELECT purpose, MIN(sent_at) FROM txrecord WHERE state = 'MINED' GROUP BY purpose"))
        jobs = {uid: (created, completed) for uid, created, completed in
                grid.execute("SELECT uid, created_at, completed_at FROM job WHERE completed_at IS NOT NULL")}
        marks = []
        for task_id, seen, job_uid, purpose in oracle.execute(
                "SELECT task_id, created_at, job_uid, tx_purpose FROM taskrecord"):
            if task_id in finalized_ts and job_uid in jobs and purpose in sent:
                marks.append((requested_ts[task_id], seen, *jobs[job_uid], sent[purpose], finalized_ts[task_id]))
        return marks
    finally:
        oracle.close()
        grid.close()


def run(trust: int, requests: int, workers: int, slots: int, workdir: Path, timeout: float) -> dict:
    net = localnet.build(workdir, workers=workers, trust=trust, block_time=1.0, grid_worker_count=0)
    for index in range(workers):
        net.grid.add_worker(net.worker_key(index), slots=slots)
    oracle = start_oracle(net, workdir, "--poll-interval", "0.2", "--confirmations", "1")
    try:
        app = net.add_app("trivial", APP)
        store = deploy_contract(net.w3, net.key(localnet.DEPLOYER), "ValueStore")
        hub = net.contract("Hub")
        time.sleep(3)  # the oracle's start-up (imports, first step) is not the burst's cost
        cpu_before = cpu_seconds(oracle.pid)
        started = time.time()
        receipts = request_burst(net, app, requests, trust=trust, callback=store.address)
        requested = {}
        for receipt in receipts:
            for event in hub.events.TaskRequested().process_receipt(receipt, errors=DISCARD):
                requested[bytes(event["args"]["taskId"])] = receipt["blockNumber"]
        finalized: dict[bytes, dict] = {}
        counts: Counter = Counter()
        from_block = net.deployment.start_block
        while len(finalized) < len(requested) and time.time() < started + timeout:
            time.sleep(2)
            head = net.w3.eth.block_number
            if head < from_block:
                continue
            for event in hub.events.TaskFinalized().get_logs(from_block=from_block, to_block=head):
                counts[bytes(event["args"]["taskId"])] += 1
                finalized[bytes(event["args"]["taskId"])] = event
            from_block = head + 1
        wall = time.time() - started
        cpu = cpu_seconds(oracle.pid) - cpu_before
        blocks = [finalized[t]["blockNumber"] - b for t, b in requested.items() if t in finalized]
        stamp = {n: net.w3.eth.get_block(n)["timestamp"] for n in
                 {*requested.values(), *(e["blockNumber"] for e in finalized.values())}}
        stages = stage_seconds(task_marks(workdir, {"0x" + t.hex(): stamp[b] for t, b in requested.items()},
                                          {"0x" + t.hex(): stamp[e["blockNumber"]] for t, e in finalized.items()}))
        batches = {e["transactionHash"] for e in finalized.values()}
        gas = sum(net.w3.eth.get_transaction_receipt(h)["gasUsed"] for h in batches)
        first = net.w3.eth.get_block(min(requested.values()))["timestamp"]
        last = net.w3.eth.get_block(max(e["blockNumber"] for e in finalized.values()))["timestamp"] if finalized else first
        return {"trust": trust, "requests": requests, "served": len(finalized),
                "exactly_once": len(finalized) == len(requested) and set(counts.values()) == {1},
                "request_blocks": max(requested.values()) - min(requested.values()) + 1,
                "tasks_per_s": len(finalized) / max(1, last - first), "chain_seconds": last - first,
                "wall_s": wall, "p50_blocks": percentile(blocks, 0.5) if blocks else None,
                "p95_blocks": percentile(blocks, 0.95) if blocks else None, "batches": len(batches),
                "gas_per_task": gas / max(1, len(finalized)), "cpu_ms_per_task": 1000 * cpu / max(1, len(finalized)), "stages": stages}
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()


def table(results: list[dict]) -> str:
    lines = ["| trust | served | exactly once | sent within | tasks/s | p50 / p95 blocks | finalize batches | "
             "finalize gas per task | oracle CPU per task |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['trust']} | {r['served']} / {r['requests']} | {'yes' if r['exactly_once'] else 'NO'} | "
                     f"{r['request_blocks']} blocks | {r['tasks_per_s']:.1f} | {r['p50_blocks']} / {r['p95_blocks']} | "
                     f"{r['batches']} | {r['gas_per_task']:,.0f} | {r['cpu_ms_per_task']:.2f} ms |")
    for r in results:
        if r["stages"]:
            lines += ["", f"Where the time went at trust {r['trust']} (seconds, p50 / p95 over the tasks; anvil's block "
                      "times are whole seconds):", "", "| stage | p50 | p95 |", "|---|---|---|"]
            lines += [f"| {name} | {p50:.1f} | {p95:.1f} |" for name, (p50, p95) in r["stages"].items()]
    return "\n".join(lines)


@click.command()
@click.option("--requests", default=1000, show_default=True)
@click.option("--workers", default=3, show_default=True, help="Grid workers (staked pool members).")
@click.option("--slots", default=4, show_default=True, help="Jobs each worker runs at once.")
@click.option("--trust", "trusts", multiple=True, type=int, default=(1, 3), show_default=True)
@click.option("--timeout", default=900.0, show_default=True, help="Seconds to wait for each burst.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the table here.")
def main(requests: int, workers: int, slots: int, trusts: tuple[int, ...], timeout: float, out: Path | None):
    """A burst of paid requests: exactly once, throughput, latency, gas and oracle CPU."""
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    results = []
    for trust in trusts:
        with tempfile.TemporaryDirectory(prefix="oracle-burst-") as tmp:
            click.echo(f"trust {trust}: {requests} requests at once ...", err=True)
            results.append(run(trust, requests, workers, slots, Path(tmp), timeout))
            click.echo(table(results[-1:]), err=True)
    text = table(results)
    click.echo(text)
    if out:
        out.write_text("# A burst of paid requests on anvil (1-second blocks, 1 confirmation)\n\n"
                       "Produced by `.venv/bin/python -m bench.oracle_burst`.\n\n" + text + "\n")


if __name__ == "__main__":
    main()
