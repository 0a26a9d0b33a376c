"""The scheduler's peak memory under oversized and largest-allowed bodies, from many clients at once.

    python -m bench.scheduler_memory [--clients 6] [--max-result-mb 64]

Sends, `clients` at a time: chunked worker reports four times over the report limit (cut as
they arrive), reports just under the limit (their archive streamed to disk, then refused by the
collector), reports of a thousand small archives, chunked uploads twice the upload limit (cut),
upload forms of thousands of fields (refused), JSON job batches just under the JSON body limit
(parsed one at a time, then refused) and just under 1 MB (parsed side by side, then refused).
Prints the scheduler's resident memory at rest and its peak (VmHWM) after each round, and the
files left behind.
"""

from __future__ import annotations

import argparse
import json
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

from offchain_grid.api.limits import report_limit  # noqa: E402
from offchain_grid.worker.client import WorkerClient  # noqa: E402
from tests.grid.conftest import WORKER_KEYS, make_users  # noqa: E402
from tests.grid.procs import TOKEN, Scheduler  # noqa: E402

MB = 1024 * 1024
UPLOAD_LIMIT = 256 * MB
JSON_LIMIT = 32 * MB


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def report_body(archive_sizes: list[int]):
    """A multipart report whose results name archives of the given sizes (for a replicate nobody holds)."""
    results = [{"replicate": f"x{i}", "result_digest": "0x" + "0" * 64, "signature": "0x" + "1" * 130, "archive": f"a{i}"}
               for i in range(len(archive_sizes))]
    yield b'--b\r\nContent-Disposition: form-data; name="report"\r\n\r\n' + \
        json.dumps({"results": results}).encode() + b"\r\n"
    block = os.urandom(MB)
    for i, size in enumerate(archive_sizes):
        yield f'--b\r\nContent-Disposition: form-data; name="a{i}"; filename="a{i}.tar"\r\n\r\n'.encode()
        for start in range(0, size, MB):
            yield block[:min(MB, size - start)]
        yield b"\r\n"
    yield b"--b--\r\n"


def upload_body(size: int):
    yield b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig.bin\r\n'
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
    block = os.urandom(MB)
    for _ in range(size // MB):
        yield block
    yield b"\r\n--b--\r\n"


def many_fields(count: int):
    field = b"x" * 60_000
    for i in range(count):
        yield b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n%s\r\n' % (i, field)
    yield b"--b--\r\n"


def job_batch(size: int, stdin_size: int = 900_000) -> bytes:
    """A batch of jobs for an app that does not exist: parsed and validated whole, then refused."""
    stdin = "s" * stdin_size
    jobs = [{"app": "no-such-app", "stdin": stdin} for _ in range(size // (stdin_size + 100))]
    return json.dumps({"jobs": jobs}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--max-result-mb", type=int, default=64)
    args = parser.parse_args()
    limit = report_limit(args.max_result_mb * MB)
    tmp = Path(tempfile.mkdtemp(prefix="sched-mem-"))
    db = f"sqlite:///{tmp / 'scheduler.db'}"
    make_users(db)
    scheduler = Scheduler(tmp, db, lease=60, alive=60, env={"TMPDIR": str(tmp)},
                          extra=("--max-result-mb", str(args.max_result_mb))).start()
    try:
        pid = scheduler.proc.pid
        session = WorkerClient(scheduler.url, Account.from_key(WORKER_KEYS[0]), shared_apps=[], slots=1,
                               stop=threading.Event()).login()["token"]
        multipart = "multipart/form-data; boundary=b"
        worker = {"Authorization": f"Bearer {session}", "Content-Type": multipart}
        user = {"Authorization": f"Bearer {TOKEN}", "Content-Type": multipart}
        batch, small = job_batch(JSON_LIMIT - MB), job_batch(MB - 4096, stdin_size=1000)
        print(f"at rest: {status_mb(pid, 'VmRSS'):.0f} MB resident (--max-result-mb {args.max_result_mb}, "
              f"report limit {limit // MB} MB)")
        url = scheduler.url + "/api/v1"
        rounds = [
            ("chunked reports 4x over the limit",
             lambda: requests.post(url + "/worker/reports", data=report_body([4 * limit]), headers=worker)),
            ("reports just under the limit",
             lambda: requests.post(url + "/worker/reports", data=report_body([limit - MB]), headers=worker)),
            ("reports of 1000 archives of 64 KiB",
             lambda: requests.post(url + "/worker/reports", data=report_body([64 * 1024] * 1000), headers=worker)),
            ("chunked uploads 2x over the limit",
             lambda: requests.post(url + "/datas", data=upload_body(2 * UPLOAD_LIMIT), headers=user)),
            ("upload forms of 4000 fields of 60 KB",
             lambda: requests.post(url + "/datas", data=many_fields(4000), headers=user)),
            ("JSON job batches just under 32 MB",
             lambda: requests.post(url + "/jobs/batch", data=batch, headers={**user, "Content-Type": "application/json"})),
            ("JSON job batches just under 1 MB (parsed side by side)",
             lambda: requests.post(url + "/jobs/batch", data=small, headers={**user, "Content-Type": "application/json"})),
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
