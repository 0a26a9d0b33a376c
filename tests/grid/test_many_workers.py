"""Many workers at once against one scheduler: every login, pull and report is answered.

More callers at the same instant than the scheduler has threads and database connections once
made it stop answering on PostgreSQL (requests holding a pooled connection waited for a thread,
threads waited for a connection, until the pool's timeout answered 500), and made concurrent
pulls all chase the same oldest jobs. Each phase below is sent by every client at once (a
barrier), with plain HTTP and no retry, so any 5xx or stall shows.
"""

import json
import threading

import requests
from eth_account import Account
from eth_account.messages import encode_defunct

from offchain_grid.archive import pack_result
from offchain_grid.worker.runner import sign_result

from .procs import wait_until

CLIENTS = 80  # above the 40 threads and 30 pooled connections that deadlocked
JOBS = 400
PHASE_TIMEOUT = 120  # generous: a loaded machine is slow, a deadlock never ends


def key_of(index: int) -> str:
    return "0x" + (5000 + index).to_bytes(32, "big").hex()


class Client:
    """A worker protocol client without retries: each answer is what the scheduler said first."""

    def __init__(self, base: str, index: int):
        self.api = f"{base}/api/v1/worker"
        self.key = key_of(index)
        self.account = Account.from_key(self.key)
        self.http = requests.Session()
        self.http.trust_env = False
        self.token = None

    def post(self, path: str, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.post(self.api + path, headers=headers, timeout=PHASE_TIMEOUT, **kwargs)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:200]}"
        return response.json()

    def challenge(self) -> str:
        return self.post("/challenge", json={"address": self.account.address})["nonce"]

    def register(self, nonce: str) -> None:
        signed = Account.sign_message(encode_defunct(text=f"cumulus worker login: {nonce}"), self.key)
        self.token = self.post("/register", json={
            "address": self.account.address, "nonce": nonce, "signature": "0x" + bytes(signed.signature).hex(),
            "arch": "x86_64", "os": "linux", "shared_apps": [], "slots": 1, "hostname": "sim", "holding": []})["token"]

    def pull(self) -> list[dict]:
        return self.post("/pull", json={"max_jobs": 2, "cached": []})["assignments"]

    def report(self, assignments: list[dict], archive: bytes) -> dict:
        results = [sign_result(a, archive, b"", self.key) for a in assignments]
        batch = {"results": [{**r, "archive": f"a{i}"} for i, r in enumerate(results)], "failures": []}
        files = [("report", (None, json.dumps(batch), "application/json"))]
        files += [(f"a{i}", (f"{i}.tar", archive, "application/x-tar")) for i in range(len(results))]
        return self.post("/reports", files=files)


def run_together(clients: list[Client], step) -> list:
    """`step(client)` in one thread per client, all released at the same instant; their values."""
    barrier = threading.Barrier(len(clients))
    values: list = [None] * len(clients)
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            values[i] = step(clients[i])
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PHASE_TIMEOUT + 60)
    assert not any(t.is_alive() for t in threads), "some clients got no answer at all"
    assert not errors, f"{len(errors)} of {len(clients)} clients failed; first: {errors[0]!r}"
    return values


def test_dozens_of_workers_log_in_pull_and_report_at_once(grid, db_url):
    grid.start(db_url, lease=300.0, alive=300.0)
    grid.alice.send_app("true", "x86_64", "linux", "/bin/true")
    grid.alice.submit_batch([{"app": "true", "args": [str(i)]} for i in range(JOBS)])
    clients = [Client(grid.scheduler.url, i) for i in range(CLIENTS)]
    nonces = run_together(clients, Client.challenge)
    by_client = dict(zip(map(id, clients), nonces))
    run_together(clients, lambda c: c.register(by_client[id(c)]))
    first = run_together(clients, Client.pull)
    # Enough jobs for everyone: concurrent pulls take different jobs instead of all but one getting none.
    assert all(len(a) == 2 for a in first), sorted(len(a) for a in first)
    jobs = [a["job"] for got in first for a in got]
    assert len(jobs) == len(set(jobs)) == 2 * CLIENTS  # never the same job twice
    archive = pack_result(b"", b"", 0, None)
    outcomes = run_together(clients, lambda c: c.report(first[clients.index(c)], archive))
    assert all(len(o["accepted"]) == 2 and o["rejected"] == [] for o in outcomes), outcomes[:2]
    second = run_together(clients, Client.pull)
    assert all(len(a) == 2 for a in second), sorted(len(a) for a in second)
    wait_until(lambda: grid.alice.get("/jobs/counts").get("COMPLETED", 0) == 2 * CLIENTS, 60,
               what="the reported jobs to complete")
    assert grid.alice.get("/jobs/counts").get("RUNNING", 0) == 2 * CLIENTS  # the second pull's, leased
