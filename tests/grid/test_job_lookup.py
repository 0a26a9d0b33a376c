"""POST /jobs/lookup: many jobs followed in one request by their external ids, only the caller's own."""

from __future__ import annotations

import pytest

from offchain_grid.client import ClientError

from .procs import finished, wait_until

FAILS_DIFFERENTLY = """#!/bin/sh
echo "failed on $(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' ')" >&2
exit 4
"""


def test_lookup_answers_only_the_callers_jobs_by_external_id(grid, sqlite_url):
    grid.start(sqlite_url)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    mine = grid.alice.submit("echo", ["a"], external_id="task-1")
    grid.bob.submit("echo", ["b"], external_id="task-2")
    grid.bob.submit("echo", ["b"], external_id="task-1")  # the same external id, another owner
    views = grid.alice.lookup(["task-1", "task-2", "never-used"])
    # alice is an admin, yet an external id names a job among its owner's jobs only
    assert [(v["uid"], v["external_id"], v["status"]) for v in views] == [(mine["uid"], "task-1", "PENDING")]
    assert (views[0]["votes"], views[0]["agreeing"], views[0]["result"]) == (0, 0, None)


def test_completed_job_comes_with_its_result_and_exit_code(grid, sqlite_url):
    grid.start(sqlite_url)
    grid.alice.send_app("echo", "x86_64", "linux", "/bin/echo")
    uid = grid.alice.submit("echo", ["hello"], external_id="done", replication=2)["uid"]
    grid.worker(1)
    grid.worker(2)
    wait_until(lambda: finished(grid.alice, uid), 30, what="the job")
    [view] = grid.alice.lookup(["done"])
    assert (view["status"], view["votes"], view["agreeing"]) == ("COMPLETED", 2, 2)
    assert sorted(s["worker"] for s in view["result"]["signatures"]) == sorted([grid.address(1), grid.address(2)])
    assert view["outcomes"] == [{"result_digest": view["result"]["result_digest"], "exit_code": 0, "stderr": ""}]


def test_votes_that_disagree_are_described_before_the_job_ends(grid, sqlite_url, tmp_path):
    grid.start(sqlite_url)
    app = tmp_path / "random-failure.sh"
    app.write_text(FAILS_DIFFERENTLY)
    grid.alice.send_app("randomfail", "x86_64", "linux", str(app))
    grid.alice.submit("randomfail", external_id="split", replication=2)
    grid.worker(1)
    grid.worker(2)
    [view] = wait_until(lambda: [v for v in grid.alice.lookup(["split"]) if v["votes"] >= 2], 60, what="two votes")
    assert view["status"] in ("PENDING", "RUNNING") and view["agreeing"] == 1  # no third worker to break the tie
    assert [o["exit_code"] for o in view["outcomes"]] == [4, 4]
    assert all(o["stderr"].startswith("failed on ") for o in view["outcomes"])
    assert len({o["result_digest"] for o in view["outcomes"]}) == 2


@pytest.mark.parametrize("body", [{"external_ids": []}, {"external_ids": ["x" * 201]}, {"external_ids": ["a\x00"]},
                                  {"external_ids": ["x"] * 10_001}, {}])
def test_malformed_lookup_is_refused(grid, sqlite_url, body):
    grid.start(sqlite_url)
    with pytest.raises(ClientError) as refused:
        grid.alice.post("/jobs/lookup", body)
    assert refused.value.status == 422
