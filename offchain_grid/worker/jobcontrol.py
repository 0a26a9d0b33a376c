"""The job processes a worker runs, by replicate: stopped when the scheduler says so, paused
(SIGSTOP of the whole process group) while the machine's owner needs it, resumed after."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import psutil


class RunningJobs:
    def __init__(self):
        self._lock = threading.Lock()
        self._procs: dict[str, subprocess.Popen] = {}
        # replicate uid -> (what to do instead of reporting: "drop" or "give_back", why)
        self._stopped: dict[str, tuple[str, str]] = {}
        self._paused: set[str] = set()  # jobs that were paused at some point of their run
        self.paused_since: float | None = None  # monotonic time the jobs were paused, None if running

    def started(self, uid: str):
        """Callback for the runner: registers the job's process, stopped or paused at once if so decided."""

        def register(proc: subprocess.Popen) -> None:
            with self._lock:
                self._procs[uid] = proc
                if uid in self._stopped:
                    _signal_group(proc, signal.SIGKILL)
                elif self.paused_since is not None:
                    self._paused.add(uid)
                    _signal_group(proc, signal.SIGSTOP)
        return register

    def finished(self, uid: str) -> tuple[str, str] | None:
        """Forget the job; (what to do instead of reporting it, why) if it was stopped."""
        with self._lock:
            self._procs.pop(uid, None)
            self._paused.discard(uid)
            return self._stopped.pop(uid, None)

    def was_paused(self, uid: str) -> bool:
        with self._lock:
            return uid in self._paused

    def stop(self, uids: list[str], reason: str, give_back: bool = False) -> int:
        """Kill these jobs (running or not started yet); how many were running."""
        with self._lock:
            for uid in uids:
                self._stopped[uid] = ("give_back" if give_back else "drop", reason)
            procs = [self._procs[uid] for uid in uids if uid in self._procs]
        for proc in procs:
            _signal_group(proc, signal.SIGKILL)  # also ends a paused group
        return len(procs)

    def was_stopped(self, uid: str) -> bool:
        with self._lock:
            return uid in self._stopped

    def pause(self) -> int:
        with self._lock:
            if self.paused_since is None:
                self.paused_since = time.monotonic()
            self._paused.update(self._procs)
            procs = list(self._procs.values())
        for proc in procs:
            _signal_group(proc, signal.SIGSTOP)
        return len(procs)

    def resume(self) -> int:
        with self._lock:
            self.paused_since = None
            procs = list(self._procs.values())
        for proc in procs:
            _signal_group(proc, signal.SIGCONT)
        return len(procs)

    def running(self) -> list[str]:
        with self._lock:
            return list(self._procs)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Signal the job's process group and every descendant (a confined job runs in a session of its
    own inside its sandbox, out of the group's reach)."""
    try:
        os.killpg(proc.pid, sig)  # the runner starts each job in its own session: its group id is its pid
    except (ProcessLookupError, PermissionError):
        pass
    done: set[int] = set()
    for _ in range(5):  # a process that forked meanwhile is caught on the next pass
        try:
            fresh = [p for p in psutil.Process(proc.pid).children(recursive=True) if p.pid not in done]
        except psutil.Error:
            return
        if not fresh:
            return
        for child in fresh:
            done.add(child.pid)
            try:
                child.send_signal(sig)
            except psutil.Error:
                pass
