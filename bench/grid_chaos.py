"""Chaos run: jobs through a real scheduler while workers are SIGKILLed and replaced, plus one
scheduler restart, at the scheduler's default settings. Every job must complete.

    python -m bench.grid_chaos [--jobs 300] [--workers 4] [--kill-every 2] [--db sqlite|postgresql|URL]

Not a test (the suite runs a shortened version): it prints what happened and exits 1 if a job
did not complete.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.grid_bench import KEYS, TOKEN, free_port, wait_healthy
from offchain_grid.client import GridClient

APP = '#!/bin/sh\nsleep 0.3\necho "chaos $1"\n'


def database(kind: str, tmp: Path):
    """(URL, server to stop or None)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'chaos.db'}", None
    if kind == "postgresql":
        from tests.grid.postgres import Postgres

        server = Postgres().start()
        return server.new_database(), server
    return kind, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=2.0)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql (a throwaway server) or a URL")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grid-chaos-"))
    url, server = database(args.db, tmp)
    procs: list[subprocess.Popen] = []
    python = [sys.executable, "-m", "offchain_grid.cli"]
    try:
        subprocess.run([*python, "admin", "create-user", "chaos", "--admin", "--token", TOKEN, "--db", url],
                       check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        sched_cmd = [*python, "scheduler", "--port", str(port), "--db", url, "--data-dir", str(tmp / "blobs"),
                     "--log-level", "info"]  # every other setting at its default
        log = open(tmp / "scheduler.log", "ab")
        scheduler = subprocess.Popen(sched_cmd, stdout=log, stderr=subprocess.STDOUT)
        wait_healthy(base, scheduler)
        client = GridClient(base, TOKEN)
        app = tmp / "chaos.sh"
        app.write_text(APP)
        app.chmod(0o755)
        client.send_app("chaos", "x86_64", "linux", str(app))
        client.submit_batch([{"app": "chaos", "args": [str(i)]} for i in range(args.jobs)])

        def start_worker(i: int) -> subprocess.Popen:
            return subprocess.Popen([*python, "worker", "--scheduler", base, "--workdir", str(tmp / f"w{i}"),
                                     "--slots", str(args.slots), "--no-docker", "--log-level", "warning"],
                                    env={**os.environ, "XW_WORKER_PRIVATE_KEY": KEYS[i]},
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        workers = {i: start_worker(i) for i in range(args.workers)}
        rng, kills, restarted_at = random.Random(args.seed), 0, None
        started = time.monotonic()

        def counts() -> Counter:
            return Counter(client.get("/jobs/counts"))

        while sum(counts()[s] for s in ("COMPLETED", "ERROR", "ABORTED")) < args.jobs:
            if time.monotonic() - started > 1200:
                raise SystemExit("chaos run did not settle in 20 minutes")
            time.sleep(args.kill_every)
            victim = rng.choice(sorted(workers))
            workers[victim].kill()
            workers[victim].wait()
            workers[victim] = start_worker(victim)
            kills += 1
            if restarted_at is None and counts()["COMPLETED"] >= args.jobs // 2:
                scheduler.kill()
                scheduler.wait()
                scheduler = subprocess.Popen(sched_cmd, stdout=log, stderr=subprocess.STDOUT)
                wait_healthy(base, scheduler)
                restarted_at = time.monotonic() - started
        wall = time.monotonic() - started
        procs = [*workers.values(), scheduler]
        jobs = client.get("/jobs", limit=args.jobs)
        status = Counter(j["status"] for j in jobs)
        lost = sum(j["lost_used"] for j in jobs)
        retries = sum(j["retries_used"] for j in jobs)
        print(f"{args.jobs} jobs, {args.workers} workers x {args.slots} slots, db {args.db}: "
              f"{kills} workers SIGKILLed (one every {args.kill_every:g} s), scheduler restarted at "
              f"{restarted_at:.0f} s, settled in {wall:.0f} s")
        print(f"statuses: {dict(status)}; replicates lost and replaced: {lost} "
              f"(most for one job: {max(j['lost_used'] for j in jobs)}); retries used: {retries}")
        for job in jobs:
            if job["status"] != "COMPLETED":
                print(f"  {job['uid']}: {job['status']}: {job['error']}")
        if status["COMPLETED"] != args.jobs:
            raise SystemExit(1)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if server:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
