"""Bag-of-tasks benchmark: 2,000 `/bin/true` jobs through the real HTTP scheduler with 4 workers,
then the same workload on Dask distributed's LocalCluster, printed side by side.

    python bench/grid_bench.py [--jobs 2000] [--workers 4] [--slots 2]

Not a test: numbers depend on the machine. Needs the `bench` extra (dask, distributed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offchain_grid.client import GridClient  # noqa: E402

TOKEN = "bench-token-0123456789"
KEYS = ["0x" + f"{i + 0x21:02x}" * 32 for i in range(64)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"scheduler exited with status {proc.returncode}")
        try:
            if requests.get(url + "/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("scheduler did not start")
        time.sleep(0.05)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_grid(jobs: int, workers: int, slots: int, tmp: Path, unconfined: bool = False) -> dict:
    from sqlmodel import Session

    from offchain_grid.db import make_engine
    from offchain_grid.scheduler.users import create_user

    db = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(db)
    with Session(engine) as session:
        create_user(session, name="bench", is_admin=True, token=TOKEN)
    engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    python = [sys.executable, "-m", "offchain_grid.cli"]
    command = [*python, "scheduler", "--port", str(port), "--db", db, "--data-dir", str(tmp / "blobs"),
               "--log-level", "error"]
    if os.environ.get("GRID_BENCH_SCHEDULER"):  # profiling hook: an alternative scheduler launcher
        command = [sys.executable, os.environ["GRID_BENCH_SCHEDULER"], str(port), db, str(tmp / "blobs")]
    scheduler = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    procs = [scheduler]
    try:
        wait_healthy(url, scheduler)
        client = GridClient(url, TOKEN)
        client.send_app("true", "x86_64", "linux", "/bin/true")
        for i in range(workers):
            procs.append(subprocess.Popen(
                [*python, "worker", "--scheduler", url, "--workdir", str(tmp / f"w{i}"), "--slots", str(slots),
                 "--poll-interval", "0.05", "--log-level", "error", "--no-docker",
                 *(["--unconfined"] if unconfined else [])],
                env={**os.environ, "XW_WORKER_PRIVATE_KEY": KEYS[i]}, stderr=subprocess.DEVNULL))
        while len(client.get("/workers")) < workers:
            time.sleep(0.05)
        sched_proc = psutil.Process(scheduler.pid)
        worker_procs = [psutil.Process(p.pid) for p in procs[1:]]
        cpu0 = sum(sched_proc.cpu_times()[:2])
        wcpu0 = sum(sum(p.cpu_times()) for p in worker_procs)  # user+system, children included
        started = time.time()
        batch = 500
        for first in range(0, jobs, batch):
            client.submit_batch([{"app": "true", "args": [str(i)]} for i in range(first, min(jobs, first + batch))])
        submitted = time.time()
        # Each poll costs the scheduler 2-3 ms of CPU (a request and a count over the job table): every
        # 0.1 s that was 0.15-0.2 ms per job of the benchmark's own. Rates come from `completed_at`.
        while client.get("/jobs/counts").get("COMPLETED", 0) < jobs:
            time.sleep(0.5)
        cpu1 = sum(sched_proc.cpu_times()[:2])
        wcpu1 = sum(sum(p.cpu_times()) for p in worker_procs)
        calls = worker_calls(url)
        done = client.get("/jobs", limit=jobs)
        latencies = [j["completed_at"] - j["created_at"] for j in done]
        wall = max(j["completed_at"] for j in done) - started
        return {"jobs_per_s": jobs / wall, "wall_s": wall, "submit_s": submitted - started,
                "sched_cpu_ms_per_job": (cpu1 - cpu0) * 1000 / jobs, "worker_cpu_ms_per_job": (wcpu1 - wcpu0) * 1000 / jobs,
                "p50_ms": percentile(latencies, 0.5) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
                "calls_per_job": {route: n / jobs for route, n in calls.items()}}
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGINT) if proc is scheduler else proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def worker_calls(url: str) -> dict[str, float]:
    """Worker requests the scheduler answered so far, by route (from its Prometheus metrics)."""
    text = requests.get(f"{url}/metrics", timeout=30).text
    found = re.findall(r'^cumulus_grid_worker_request_duration_seconds_count\{route="(\w+)"\} ([0-9.e+]+)$', text, re.M)
    return {route: float(n) for route, n in found}


def _true(i: int) -> tuple[int, float]:
    subprocess.run(["/bin/true", str(i)], check=True)
    return i, time.time()


def run_dask(jobs: int, workers: int, threads: int) -> dict:
    from dask.distributed import Client, LocalCluster, as_completed

    with LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.submit(_true, -1).result()  # warm up the workers
        me = psutil.Process()
        cpu0 = sum(me.cpu_times()[:2])
        started = time.time()
        futures = client.map(_true, range(jobs), pure=False)
        submit_times = {f.key: time.time() for f in futures}
        latencies, last = [], started
        for future in as_completed(futures):
            _, finished_at = future.result()
            now = time.time()
            latencies.append(now - submit_times[future.key])
            last = max(last, now)
        cpu1 = sum(me.cpu_times()[:2])
    wall = last - started
    return {"jobs_per_s": jobs / wall, "wall_s": wall, "submit_s": float("nan"),
            "sched_cpu_ms_per_job": (cpu1 - cpu0) * 1000 / jobs,
            "p50_ms": percentile(latencies, 0.5) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--slots", type=int, default=8,
                        help="parallel jobs per worker (grid slots, Dask threads per worker)")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--unconfined", action="store_true",
                        help="also run the grid with unconfined workers, to show what confinement costs per job")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    runs = {}
    for unconfined in ([False, True] if args.unconfined else [False]):
        tmp = Path(tempfile.mkdtemp(prefix="grid-bench-"))
        try:
            runs[unconfined] = run_grid(args.jobs, args.workers, args.slots, tmp, unconfined)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    grid = runs[False]
    dask = None if args.skip_dask else run_dask(args.jobs, args.workers, args.slots)
    print(f"{args.jobs} x /bin/true, {args.workers} workers x {args.slots} parallel jobs, {os.cpu_count()} cores, "
          f"load average before the run {load_before:.1f}")
    print(f"{'':28}{'cumulus grid':>14}" + (f"{'dask LocalCluster':>20}{'ratio':>8}" if dask else ""))
    rows = [("jobs per second", "jobs_per_s", True), ("wall time (s)", "wall_s", False),
            ("scheduler CPU ms per job", "sched_cpu_ms_per_job", False), ("latency p50 (ms)", "p50_ms", False),
            ("latency p99 (ms)", "p99_ms", False)]
    for label, key, higher_better in rows:
        line = f"{label:28}{grid[key]:>14.2f}"
        if dask:
            ratio = grid[key] / dask[key] if dask[key] else float("nan")
            line += f"{dask[key]:>20.2f}{ratio:>8.2f}"
        print(line)
    print(f"grid workers' CPU per job (with the jobs themselves): {grid['worker_cpu_ms_per_job']:.2f} ms")
    print("grid worker requests per job: " + ", ".join(f"{route} {n:.3f}" for route, n in grid["calls_per_job"].items()))
    if True in runs:
        loose = runs[True]
        print(f"unconfined workers, same run: {loose['jobs_per_s']:.1f} jobs/s (confined / unconfined "
              f"{grid['jobs_per_s'] / loose['jobs_per_s']:.2f}), p50 {loose['p50_ms']:.0f} ms, workers' CPU per job "
              f"{loose['worker_cpu_ms_per_job']:.2f} ms (confinement adds "
              f"{grid['worker_cpu_ms_per_job'] - loose['worker_cpu_ms_per_job']:.2f} ms)")
    print(f"grid submit of all jobs took {grid['submit_s']:.2f}s (batches of 500 over HTTP)")


if __name__ == "__main__":
    main()
