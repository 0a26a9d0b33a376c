"""What confinement costs per job start: the worker's own command lines, timed against each other.

    .venv/bin/python -m bench.spawn_cost [--runs 300] [--parallel 8] [--seconds 3]     # as root

Times `/usr/bin/true` started as an unconfined job (prlimit only) and as a confined one (the
command `worker/confine.py` builds), plus two stripped variants that show where the time goes:
the sandbox without the drop to the slot's uid (setpriv and unshare), and without a network
namespace. Latency: the variants run one after the other in each round, so a load on the machine
hits them alike (medians and first quartiles). Rate: `--parallel` threads start jobs for
`--seconds` per variant, which also counts what the kernel does after a sandbox exits.
Needs root (the slot uids), as a worker giving each slot its own uid does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from offchain_grid.worker.confine import Confinement, hand_over  # noqa: E402
from offchain_grid.worker.runner import Limits, _limited  # noqa: E402


def variants(confinement: Confinement, job_dir: str, uid: int) -> dict[str, list[str]]:
    def limited(command: list[str]) -> list[str]:
        return _limited(command, 60, Limits(), confinement.max_processes)[0]

    sandbox = confinement.command(["/usr/bin/true"], job_dir=Path(job_dir), uid=uid, app=None, network=False)
    no_drop = sandbox[:sandbox.index("/usr/bin/setpriv")] + ["/usr/bin/true"]
    return {"unconfined (prlimit, true)": limited(["/usr/bin/true"]),
            "confined (the worker's command)": limited(sandbox),
            "  without the uid drop": limited(no_drop),
            "  without a network namespace": limited([a for a in sandbox if a != "--unshare-net"])}


def latency(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            started = time.perf_counter()
            subprocess.run(argv, env={}, check=True)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def rate(argv: list[str], parallel: int, seconds: float) -> float:
    counts = [0] * parallel
    stop = time.monotonic() + seconds

    def loop(i: int) -> None:
        while time.monotonic() < stop:
            subprocess.run(argv, env={}, check=True)
            counts[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: confined jobs get a uid per slot only under root")
    confinement = Confinement.probe()
    uid = confinement.slot_uid()
    job_dir = tempfile.mkdtemp(prefix="spawn-cost-")
    try:
        os.mkdir(os.path.join(job_dir, "output"))
        hand_over(Path(job_dir), uid)
        commands = variants(confinement, job_dir, uid)
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {args.runs} rounds, then "
              f"{args.parallel} threads for {args.seconds:.0f} s each")
        print(f"{'':34}{'median ms':>10}{'p25 ms':>8}{'starts/s':>10}")
        for name, times in latency(commands, args.runs).items():
            ordered = sorted(times)
            print(f"{name:34}{statistics.median(ordered):>10.2f}{ordered[len(ordered) // 4]:>8.2f}"
                  f"{rate(commands[name], args.parallel, args.seconds):>10.0f}", flush=True)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
        confinement.release(uid)


if __name__ == "__main__":
    main()
