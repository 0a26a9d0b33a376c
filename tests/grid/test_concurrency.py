"""Concurrency with real schedulers: simultaneous reports, two schedulers on one database, workers dying."""

import random
import signal
import threading
import time

from eth_account import Account

from offchain_grid.archive import pack_result
from offchain_grid.client import GridClient
from offchain_grid.worker.client import WorkerClient
from offchain_grid.worker.runner import sign_result

from .conftest import WORKER_KEYS
from .procs import TOKEN, wait_until


def protocol_client(url: str, index: int) -> WorkerClient:
    client = WorkerClient(url, Account.from_key(WORKER_KEYS[index]), shared_apps=[], slots=1, stop=threading.Event())
    client.login()
    return client


def pull_all(client: WorkerClient, count: int) -> dict[str, dict]:
    held: dict[str, dict] = {}
    for _ in range(20):
        held.update((a["job"], a) for a in client.pull(count - len(held), [])["assignments"])
        if len(held) == count:
            break
    return held


def settled(client, count: int) -> list[dict] | None:
    jobs = client.get("/jobs", limit=10_000)
    return jobs if sum(j["status"] in ("COMPLETED", "ERROR", "ABORTED") for j in jobs) == count else None


def test_three_reports_at_the_same_instant_complete_each_job_once(grid, db_url):
    grid.start(db_url, lease=120.0, alive=120.0)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    refs = grid.alice.submit_batch([{"app": "echo", "args": [str(i)], "replication": 3} for i in range(100)])
    clients = [protocol_client(grid.scheduler.url, i) for i in range(3)]
    held = [pull_all(client, 100) for client in clients]
    assert [len(h) for h in held] == [100, 100, 100]  # one replicate of every job on each worker
    archive = pack_result(b"agreed\n", b"", 0, None)
    uploads = [[sign_result(h[ref["uid"]], archive, b"", WORKER_KEYS[i]) for ref in refs] for i, h in enumerate(held)]
    barriers = [threading.Barrier(3) for _ in refs]
    outcomes: list[dict] = []

    def report(i: int) -> None:
        for barrier, upload in zip(barriers, uploads[i]):
            barrier.wait(timeout=60)  # the three reports of a job leave together
            outcomes.append(clients[i].report([upload], []))

    threads = [threading.Thread(target=report, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert len(outcomes) == 300 and all(o["rejected"] == [] for o in outcomes), outcomes[:3]
    jobs = wait_until(lambda: settled(grid.alice, 100), 30, what="every job to settle")
    assert {j["status"] for j in jobs} == {"COMPLETED"}
    assert all(len(j["result"]["signatures"]) == 3 and j["retries_used"] == 0 and j["lost_used"] == 0 for j in jobs)
    for ref in refs[::10]:
        assert [r["status"] for r in grid.alice.get(f"/jobs/{ref['uid']}/replicates")] == ["VALID"] * 3
    workers = {w["address"]: w for w in grid.alice.get("/workers")}
    assert [workers[grid.address(i)]["completed"] for i in range(3)] == [100, 100, 100]  # no lost update


def test_two_schedulers_on_one_database_complete_every_job_once(grid, postgres):
    first = grid.start(postgres.new_database(), lease=10.0, alive=10.0)
    second = grid.another_scheduler(lease=10.0, alive=10.0)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    refs = grid.alice.submit_batch([{"app": "echo", "args": [str(i)], "replication": 2} for i in range(200)])
    both = f"{first.url},{second.url}"
    for index in range(4):
        grid.worker(index, slots=2, url=both)
    wait_until(lambda: grid.alice.get("/jobs/counts").get("COMPLETED", 0) >= 50, 120, what="a first share of jobs")
    first.kill()  # the workers carry on with the other scheduler
    alice = GridClient(second.url, TOKEN)
    jobs = wait_until(lambda: settled(alice, 200), 240, interval=0.5, what="all 200 jobs")
    assert {j["status"] for j in jobs} == {"COMPLETED"}, [j for j in jobs if j["status"] != "COMPLETED"][:3]
    valid = 0
    for ref in refs:
        reps = alice.get(f"/jobs/{ref['uid']}/replicates")
        statuses = [r["status"] for r in reps]
        assert statuses.count("VALID") == 2 and "INVALID" not in statuses, reps
        valid += 2
    workers = alice.get("/workers")
    assert sum(w["completed"] for w in workers) == valid == 400
    assert not any(w["blacklisted"] for w in workers)


def test_workers_killed_every_two_seconds_and_a_scheduler_restart(grid, db_url, tmp_path):
    """The chaos run of bench/grid_chaos.py, shortened: default budgets, every job completes."""
    scheduler = grid.start(db_url, lease=10.0, alive=10.0)
    app = tmp_path / "nap.sh"
    app.write_text('#!/bin/sh\nsleep 0.5\necho "nap $1"\n')
    app.chmod(0o755)
    grid.alice.send_app("nap", "x86_64", "linux", str(app))
    grid.alice.submit_batch([{"app": "nap", "args": [str(i)]} for i in range(100)])
    workers = {i: grid.worker(i, slots=2) for i in range(3)}
    rng, kills, restarted = random.Random(7), 0, False
    deadline = time.monotonic() + 240
    while not settled(grid.alice, 100) and time.monotonic() < deadline:
        time.sleep(2)
        victim = rng.choice(sorted(workers))
        workers[victim].proc.send_signal(signal.SIGKILL)
        workers[victim].proc.wait()
        workers[victim] = grid.worker(victim, slots=2)
        kills += 1
        if kills == 2 and not restarted:
            scheduler.kill()
            scheduler.start()
            restarted = True
    jobs = wait_until(lambda: settled(grid.alice, 100), 60, what="all 100 jobs")
    assert restarted and kills >= 3
    assert {j["status"] for j in jobs} == {"COMPLETED"}, [j["error"] for j in jobs if j["status"] != "COMPLETED"]
    assert sum(j["lost_used"] for j in jobs) > 0  # the kills did cost replicates
    assert all(j["retries_used"] == 0 for j in jobs)  # lost replicates never count as the app's failures


def test_a_report_carries_the_next_pull(grid, sqlite_url):
    """Reports ask for the next jobs in the same request: one round trip per batch instead of two."""
    grid.start(sqlite_url, lease=120.0, alive=120.0)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    grid.alice.submit_batch([{"app": "echo", "args": [str(i)]} for i in range(4)])
    client = protocol_client(grid.scheduler.url, 0)
    first = client.pull(2, [])["assignments"]
    archive = pack_result(b"", b"", 0, None)
    answer = client.report([sign_result(a, archive, b"", WORKER_KEYS[0]) for a in first], [], pull=(5, []))
    assert sorted(answer["accepted"]) == sorted(a["replicate"] for a in first) and answer["rejected"] == []
    second = answer["assignments"]
    assert len(second) == 2 and not answer["blacklisted"]  # the two jobs left, though it asked for five
    assert {a["job"] for a in second}.isdisjoint(a["job"] for a in first)
    last = client.report([sign_result(a, archive, b"", WORKER_KEYS[0]) for a in second], [])
    assert len(last["accepted"]) == 2 and "assignments" not in last  # no pull asked, none made
    assert grid.alice.get("/jobs/counts") == {"COMPLETED": 4}
