"""Volunteer mode: jobs pause while the machine's owner uses it, keep their lease, resume, or go back."""

import getpass
import os
import signal
import subprocess
import time

import psutil
import pytest

from offchain_grid.worker.volunteer import IdlePolicy, IdleState

from .procs import finished, job_story, wait_until

BUSY_LOOP = ["timeout", "--foreground", "90", "sh", "-c", "while :; do :; done"]  # bounded in time, whatever happens


def test_idle_state_pauses_resumes_and_gives_back():
    state = IdleState(IdlePolicy(resume_after=5, max_pause=30))
    assert state.observe(False, 0) is None
    assert state.observe(True, 1) == "pause"
    assert state.observe(True, 2) is None
    assert state.observe(False, 4) is None  # quiet for 2 s only
    assert state.observe(False, 7) == "resume"  # quiet since 2
    assert state.observe(True, 10) == "pause"
    assert state.observe(True, 39) is None
    assert state.observe(True, 40) == "give_back"
    assert state.observe(True, 50) is None  # once per pause
    assert state.observe(False, 56) == "resume"


@pytest.fixture
def owner_load():
    """Busy loops run as another user, the machine's 'owner' (other developers' processes do not count)."""
    procs: list[subprocess.Popen] = []
    user = "nobody" if os.geteuid() == 0 else getpass.getuser()
    prefix = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []

    class Load:
        owner = user

        def start(self):
            procs.extend(subprocess.Popen([*prefix, *BUSY_LOOP], start_new_session=True) for _ in range(2))

        def stop(self):
            for proc in procs:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            procs.clear()

    load = Load()
    yield load
    load.stop()


def job_processes(worker) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(worker.proc.pid).children(recursive=True) if p.name() != "prlimit"]
    except psutil.NoSuchProcess:
        return []


def all_stopped(worker) -> bool:
    procs = job_processes(worker)
    try:
        return bool(procs) and all(p.status() == psutil.STATUS_STOPPED for p in procs)
    except psutil.NoSuchProcess:
        return False


def test_paused_while_the_owner_works_lease_kept_then_given_back(grid, sqlite_url, tmp_path, owner_load):
    grid.start(sqlite_url, lease=3.0, alive=3.0)
    app = tmp_path / "steps.sh"
    app.write_text("#!/bin/sh\nfor i in 1 2 3 4 5 6; do sleep 0.5; done\necho done\n")
    app.chmod(0o755)
    grid.alice.send_app("steps", "x86_64", "linux", str(app))
    worker = grid.worker(0, extra=("--volunteer", "--owner-user", owner_load.owner, "--idle-max-cpu", "10",
                                   "--resume-after", "1", "--max-pause", "9"))
    uid = grid.alice.submit("steps", [])["uid"]
    wait_until(lambda: job_processes(worker), 30, what="the job to start")
    owner_load.start()
    wait_until(lambda: all_stopped(worker), 20, what="the job to be paused")
    wait_until(lambda: "the machine is in use" in worker.output(), 10, what="the pause to be logged")  # logged after SIGSTOP
    time.sleep(6)  # two leases' worth: alive signals keep renewing the paused replicate
    [rep] = grid.alice.get(f"/jobs/{uid}/replicates")
    assert rep["status"] == "RUNNING", job_story(grid.alice, uid, [worker])
    wait_until(lambda: grid.alice.get(f"/jobs/{uid}/replicates")[0]["status"] == "LOST", 20,
               what="the job to be given back")
    first = grid.alice.get(f"/jobs/{uid}/replicates")[0]
    assert "given back by its worker" in first["error"]
    assert grid.alice.job(uid)["status"] == "PENDING"  # nobody takes it while the owner is busy
    owner_load.stop()
    job = wait_until(lambda: finished(grid.alice, uid), 60, what="the job after the owner left")
    assert job["status"] == "COMPLETED", job_story(grid.alice, uid, [worker])
    assert (job["lost_used"], job["retries_used"]) == (1, 0)
    assert "the machine is idle again" in worker.output()
