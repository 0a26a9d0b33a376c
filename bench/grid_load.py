"""Load test: hundreds of simulated workers against one scheduler, on SQLite or PostgreSQL.

    python -m bench.grid_load [--workers 200] [--procs 4] [--seconds 120] [--queued 100000] [--db sqlite|postgresql]

Simulated workers are real protocol clients (challenge login with their own key, pull, EIP-712
signed results, alive signals) that run no job: each signs a fixed archive for what it pulls
and reports it at once, so the scheduler is what is measured. First the queue is filled with
`--queued` jobs and the scheduler's memory read (goal: at most 300 MB with 100,000 queued);
then the workers run for `--seconds`: jobs/s completed, scheduler CPU per job, pull latency.
Not a test: numbers depend on the machine, which runs the clients too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.grid_bench import TOKEN, free_port, percentile, wait_healthy
from bench.grid_chaos import database
from offchain_grid.archive import pack_result
from offchain_grid.client import GridClient

SUBMIT_BATCH = 10_000


def worker_keys(count: int) -> list[str]:
    return ["0x" + (i + 1).to_bytes(32, "big").hex() for i in range(1000, 1000 + count)]


def simulate(url: str, keys: list[str], seconds: float, out: multiprocessing.Queue) -> None:
    """One client process: a thread per simulated worker; puts (pull latencies, jobs reported)."""
    from eth_account import Account

    from offchain_grid.worker.client import WorkerClient
    from offchain_grid.worker.runner import sign_result

    archive = pack_result(b"", b"", 0, None)
    stop = threading.Event()
    latencies: list[float] = []
    reported = [0]
    lock = threading.Lock()

    def one(key: str) -> None:
        client = WorkerClient(url, Account.from_key(key), shared_apps=[], slots=1, stop=stop)
        client.login()
        next_alive = time.monotonic() + client.alive_interval
        while not stop.is_set():
            started = time.perf_counter()
            answer = client.pull(2, [])
            took = time.perf_counter() - started
            assignments = answer["assignments"]
            if assignments:
                client.report([sign_result(a, archive, b"", key) for a in assignments], [])
            with lock:
                latencies.append(took)
                reported[0] += len(assignments)
            if time.monotonic() > next_alive:
                client.alive([])
                next_alive = time.monotonic() + client.alive_interval
            if not assignments:
                stop.wait(1.0)  # an idle worker's poll interval

    threads = [threading.Thread(target=one, args=(key,), daemon=True) for key in keys]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(30)
    out.put((latencies, reported[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=200)
    parser.add_argument("--procs", type=int, default=4, help="client processes the workers are spread over")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--queued", type=int, default=100_000, help="jobs queued before the workers start")
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql (a throwaway server) or a URL")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grid-load-"))
    url, server = database(args.db, tmp)
    python = [sys.executable, "-m", "offchain_grid.cli"]
    scheduler = None
    try:
        subprocess.run([*python, "admin", "create-user", "load", "--admin", "--token", TOKEN, "--db", url],
                       check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        scheduler = subprocess.Popen([*python, "scheduler", "--port", str(port), "--db", url, "--data-dir",
                                      str(tmp / "blobs"), "--log-level", "warning"],
                                     stderr=open(tmp / "scheduler.log", "ab"))
        wait_healthy(base, scheduler)
        sched = psutil.Process(scheduler.pid)
        rss_idle = sched.memory_info().rss
        client = GridClient(base, TOKEN, timeout=600)
        client.send_app("true", "x86_64", "linux", "/bin/true")
        started = time.monotonic()
        for first in range(0, args.queued, SUBMIT_BATCH):
            client.submit_batch([{"app": "true", "args": [str(i)]}
                                 for i in range(first, min(args.queued, first + SUBMIT_BATCH))])
        submit_s = time.monotonic() - started
        rss_queued = sched.memory_info().rss
        keys = worker_keys(args.workers)
        out: multiprocessing.Queue = multiprocessing.Queue()
        share = [keys[i::args.procs] for i in range(args.procs)]
        cpu0 = sum(sched.cpu_times()[:2])
        done0 = client.get("/jobs/counts").get("COMPLETED", 0)
        t0 = time.monotonic()
        procs = [multiprocessing.Process(target=simulate, args=(base, part, args.seconds, out)) for part in share]
        for proc in procs:
            proc.start()
        parts = [out.get(timeout=args.seconds + 300) for _ in procs]
        wall = time.monotonic() - t0
        for proc in procs:
            proc.join(30)
        cpu1 = sum(sched.cpu_times()[:2])
        done = client.get("/jobs/counts").get("COMPLETED", 0) - done0
        rss_peak = sched.memory_info().rss
        latencies = [x for lat, _ in parts for x in lat]
        print(f"{args.workers} simulated workers in {args.procs} processes for {args.seconds:g} s, db {args.db}, "
              f"{psutil.cpu_count()} cores shared with the clients")
        print(f"  queue of {args.queued} jobs submitted in {submit_s:.1f} s; scheduler memory "
              f"{rss_idle / 2**20:.0f} MB idle, {rss_queued / 2**20:.0f} MB with the queue, "
              f"{rss_peak / 2**20:.0f} MB after the load")
        print(f"  jobs completed: {done} ({done / wall:.0f} jobs/s), reported by the clients: "
              f"{sum(n for _, n in parts)}")
        print(f"  scheduler CPU per job: {(cpu1 - cpu0) * 1000 / max(1, done):.2f} ms")
        print(f"  pull latency over {len(latencies)} pulls: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.0f} ms")
    finally:
        if scheduler is not None:
            scheduler.send_signal(signal.SIGINT)
            try:
                scheduler.wait(20)
            except subprocess.TimeoutExpired:
                scheduler.kill()
        if server:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
