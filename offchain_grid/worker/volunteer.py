"""Volunteer mode ("cycle stealing"): compute only while the machine's owner leaves it idle.

Every `check_every` seconds the worker measures the CPU that processes outside its own tree
use (only the owner's, with `owner_user`). Above the threshold it pauses its jobs (SIGSTOP of
each job's process group; their leases stay renewed) and stops pulling; once the machine has
been quiet for `resume_after` seconds it resumes them (SIGCONT). Jobs paused longer than
`max_pause` are given back to the scheduler, which hands them to another worker.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

import psutil

log = logging.getLogger("xw.worker")


@dataclass(frozen=True)
class IdlePolicy:
    max_other_cpu: float = 0.25  # fraction of the machine's CPU others may use while jobs run
    owner_user: str | None = None  # count only this user's processes (None: every process but ours)
    check_every: float = 1.0
    resume_after: float = 10.0  # quiet this long before jobs resume
    max_pause: float = 600.0  # paused this long: give the jobs back


class IdleState:
    """The pure decision: given whether the owner is busy now, what to do (pause, resume, give back)."""

    def __init__(self, policy: IdlePolicy):
        self.policy = policy
        self.paused_at: float | None = None
        self.last_busy = float("-inf")
        self.given_back = False

    def observe(self, busy: bool, now: float) -> str | None:
        if busy:
            self.last_busy = now
            if self.paused_at is None:
                self.paused_at, self.given_back = now, False
                return "pause"
            if not self.given_back and now - self.paused_at >= self.policy.max_pause:
                self.given_back = True
                return "give_back"
            return None
        if self.paused_at is not None and now - self.last_busy >= self.policy.resume_after:
            self.paused_at = None
            return "resume"
        if self.paused_at is not None and not self.given_back and now - self.paused_at >= self.policy.max_pause:
            self.given_back = True  # quiet again, but not for long enough yet
            return "give_back"
        return None


class OtherCpu:
    """CPU used by processes outside this worker's tree since the previous sample, as a machine fraction."""

    def __init__(self, owner_user: str | None):
        self.owner_user = owner_user
        self.me = psutil.Process(os.getpid())
        self.cores = psutil.cpu_count() or 1
        self._seen: dict[tuple[int, float], float] = {}
        self._at = time.monotonic()
        self.sample()

    def sample(self) -> float:
        ours = {self.me.pid} | {p.pid for p in _descendants(self.me)}
        seen, used = {}, 0.0
        for proc in psutil.process_iter(["pid", "username", "create_time", "cpu_times"]):
            info = proc.info
            if info["pid"] in ours or info["cpu_times"] is None:
                continue
            if self.owner_user and info["username"] != self.owner_user:
                continue
            key = (info["pid"], info["create_time"])
            total = info["cpu_times"].user + info["cpu_times"].system
            seen[key] = total
            used += total - self._seen.get(key, total if key[1] < self._wall_at() else 0.0)
        now = time.monotonic()
        elapsed, self._at, self._seen = max(1e-3, now - self._at), now, seen
        return used / (elapsed * self.cores)

    def _wall_at(self) -> float:
        return time.time() - (time.monotonic() - self._at)  # when the previous sample was taken


def _descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


class Volunteer(threading.Thread):
    def __init__(self, policy: IdlePolicy, jobs, may_pull: threading.Event, give_back, stop: threading.Event):
        super().__init__(name="volunteer", daemon=True)
        self.policy, self.jobs, self.may_pull, self.give_back, self.stop = policy, jobs, may_pull, give_back, stop
        self.state = IdleState(policy)
        self.meter = OtherCpu(policy.owner_user)

    def run(self) -> None:
        while not self.stop.wait(self.policy.check_every):
            other = self.meter.sample()
            action = self.state.observe(other > self.policy.max_other_cpu, time.monotonic())
            if action == "pause":
                self.may_pull.clear()
                count = self.jobs.pause()
                log.info("the machine is in use (other processes: %.0f%% CPU): paused %d job(s)", other * 100, count)
            elif action == "resume":
                count = self.jobs.resume()
                self.may_pull.set()
                log.info("the machine is idle again: resumed %d job(s)", count)
            elif action == "give_back":
                count = self.give_back(f"given back: the machine's owner needed it for {self.policy.max_pause:g} s")
                log.info("paused for %g s: gave %d job(s) back to the scheduler", self.policy.max_pause, count)
