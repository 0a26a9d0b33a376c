"""How early a lying worker is caught: 60 jobs at replication 3, three honest workers and one liar.

    python -m bench.liar_bench [--jobs 60] [--slots 2] [--runs 3]

The liar is the real worker altered to sign another stdout (tests/liar_worker.py); it starts
first, the worst case. Reported per run: on how many jobs it got a vote in (an upload the
scheduler accepted), how many of those votes still stood when the jobs ended (outvoted ones are
the slashing proof; discarded ones no longer count), and whether every job completed with the
honest answer. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402

from offchain_grid.archive import read_member  # noqa: E402
from tests.grid.conftest import WORKER_KEYS, make_users  # noqa: E402
from tests.grid.procs import TOKEN, Scheduler, Worker, wait_until  # noqa: E402
from offchain_grid.client import GridClient  # noqa: E402


def one_run(tmp: Path, jobs: int, slots: int) -> dict:
    db = f"sqlite:///{tmp / 'scheduler.db'}"
    make_users(db)
    scheduler = Scheduler(tmp, db, lease=30.0, alive=30.0).start()
    started = [scheduler]
    try:
        client = GridClient(scheduler.url, TOKEN)
        app = tmp / "answer.sh"
        app.write_text("#!/bin/sh\nsleep 0.2\necho 42\n")
        app.chmod(app.stat().st_mode | stat.S_IXUSR)
        client.send_app("answer", "x86_64", "linux", str(app))
        uids = [ref["uid"] for ref in client.submit_batch([{"app": "answer", "replication": 3}] * jobs)]
        started.append(Worker(tmp, scheduler.url, WORKER_KEYS[0], "liar", slots, liar=True).start())
        liar = Account.from_key(WORKER_KEYS[0]).address
        wait_until(lambda: any(r["worker"] == liar for r in client.get(f"/jobs/{uids[0]}/replicates")), 60,
                   what="the liar's first job")
        started += [Worker(tmp, scheduler.url, WORKER_KEYS[i], f"honest{i}", slots).start() for i in (1, 2, 3)]
        begin = time.monotonic()
        wait_until(lambda: client.get("/jobs/counts").get("COMPLETED", 0) + client.get("/jobs/counts").get(
            "ERROR", 0) == jobs, 600, interval=0.5, what="every job")
        elapsed = time.monotonic() - begin
        voted = standing = honest = 0
        for uid in uids:
            reps = [r for r in client.get(f"/jobs/{uid}/replicates") if r["worker"] == liar]
            voted += any(r["result_digest"] for r in reps)
            standing += any(r["status"] in ("DONE", "VALID", "INVALID") for r in reps)
            job = client.job(uid)
            honest += job["status"] == "COMPLETED" and read_member(client.result_archive(uid), "stdout") == b"42\n"
        return {"voted": voted, "standing": standing, "honest": honest, "seconds": elapsed}
    finally:
        for proc in reversed(started):
            proc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.jobs} jobs at replication 3, 3 honest workers and 1 liar, {args.slots} slot(s) each")
    for run in range(args.runs):
        tmp = Path(tempfile.mkdtemp(prefix="liar-bench-"))
        try:
            out = one_run(tmp, args.jobs, args.slots)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"run {run + 1}: the liar got a vote in {out['voted']} of {args.jobs} jobs, {out['standing']} still "
              f"standing at the end; {out['honest']}/{args.jobs} jobs completed with the honest answer "
              f"in {out['seconds']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
