"""The scheduler's peak memory under oversized and largest-allowed bodies, at its default limits.

    python -m bench.scheduler_memory [--clients 8]

Sends, `clients` at a time: chunked worker reports four times over the report limit (cut as
they arrive), reports just under the limit (parsed, then refused by the collector), chunked
uploads twice the upload limit (cut), and declared 2 GiB uploads (refused from their header).
Prints the scheduler's resident memory at rest and its peak (VmHWM) after each round.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from eth_account import Account

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offchain_grid.worker.client import WorkerClient  # noqa: E402
from tests.grid.conftest import WORKER_KEYS, make_users  # noqa: E402
from tests.grid.procs import TOKEN, Scheduler  # noqa: E402

MB = 1024 * 1024
REPORT_LIMIT = 2 * 64 * MB  # twice the default result archive limit
UPLOAD_LIMIT = 256 * MB


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def report_body(size: int):
    yield b'{"results": [{"replicate": "x", "digest": "0x' + b"0" * 64 + b'", "signature": "0x' + b"1" * 130 + \
        b'", "archive": "'
    block = b"QUJD" * (16 * 1024)
    for _ in range(size // len(block)):
        yield block
    yield b'"}]}'


def upload_body(size: int):
    yield b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig.bin\r\n'
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
    block = os.urandom(MB)
    for _ in range(size // MB):
        yield block
    yield b"\r\n--b--\r\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sched-mem-"))
    db = f"sqlite:///{tmp / 'scheduler.db'}"
    make_users(db)
    scheduler = Scheduler(tmp, db, lease=60, alive=60, env={"TMPDIR": str(tmp)}).start()
    try:
        pid = scheduler.proc.pid
        session = WorkerClient(scheduler.url, Account.from_key(WORKER_KEYS[0]), shared_apps=[], slots=1,
                               stop=threading.Event()).login()["token"]
        worker_headers = {"Authorization": f"Bearer {session}", "Content-Type": "application/json"}
        user_headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "multipart/form-data; boundary=b"}
        print(f"at rest: {status_mb(pid, 'VmRSS'):.0f} MB resident")
        rounds = [
            ("chunked reports 4x over the limit", lambda: requests.post(
                scheduler.url + "/api/v1/worker/reports", data=report_body(4 * REPORT_LIMIT), headers=worker_headers)),
            ("reports just under the limit", lambda: requests.post(
                scheduler.url + "/api/v1/worker/reports", data=report_body(REPORT_LIMIT - MB), headers=worker_headers)),
            ("chunked uploads 2x over the limit", lambda: requests.post(
                scheduler.url + "/api/v1/datas", data=upload_body(2 * UPLOAD_LIMIT), headers=user_headers)),
        ]
        for name, send in rounds:
            with ThreadPoolExecutor(args.clients) as pool:
                statuses = sorted({f.result().status_code for f in [pool.submit(send) for _ in range(args.clients)]})
            print(f"{args.clients} x {name}: answered {statuses}; peak so far {status_mb(pid, 'VmHWM'):.0f} MB, "
                  f"now {status_mb(pid, 'VmRSS'):.0f} MB", flush=True)
        leftovers = [p for p in tmp.rglob("*") if p.is_file() and p.suffix not in (".db", ".log", ".db-wal",
                                                                                    ".db-shm")]
        print(f"files left behind: {len(leftovers)}")
    finally:
        scheduler.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
