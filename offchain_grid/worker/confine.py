"""Confinement of untrusted jobs: what a job may see, touch and use.

Each job slot owns an unprivileged uid (allocated per machine, so no two slots of any worker
share one) and runs its job through bubblewrap in new user, mount, PID, IPC, UTS, cgroup and
network namespaces. Inside, the job sees a read-only /usr, its job directory at /job (the only
writable place), its app at /app/NAME and nothing else of the machine: not the worker's key,
cache, home or checkout, nor the other slots. The paths and the uid seen inside are the same
on every worker, so outputs such as tracebacks agree across workers.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

JOB_ROOT = "/job"  # the job directory, as the job sees it
APP_ROOT = "/app"  # where the app file is mounted, as /app/NAME
SANDBOX_UID = 1000  # the uid and gid a job sees (mapped from its slot's uid)
FIRST_SLOT_UID = 200_000  # slot uids are taken from here upwards
UID_LOCKS = Path("/run/cumulus-slot-uids")  # one lock file per uid in use on this machine
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"
_SYSTEM = ["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
           "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"]
# The devices programs expect, bound one by one, and the usual links: half the mounts of bubblewrap's
# --dev, which adds a tmpfs, a devpts and a /dev/shm that the job could not write to anyway.
_DEVICES = ["--perms", "0755", "--dir", "/dev", *(arg for name in ("null", "zero", "full", "random", "urandom")
              for arg in ("--dev-bind", f"/dev/{name}", f"/dev/{name}")),
            "--symlink", "/proc/self/fd", "/dev/fd", *(arg for fd, name in enumerate(("stdin", "stdout", "stderr"))
                                                      for arg in ("--symlink", f"/proc/self/fd/{fd}", f"/dev/{name}"))]
# Read-only system files programs commonly need; none tells a job anything about the worker.
_ETC = ["/etc/alternatives", "/etc/ld.so.cache"]
_ETC_NETWORK = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates"]


class ConfinementUnavailable(Exception):
    """Jobs cannot be confined on this machine; the message says why and what to install."""


@dataclass(frozen=True)
class Mount:
    host: str
    inside: str


class Confinement:
    """Builds the command that starts one job confined, and owns the slot uids."""

    enabled = True

    def __init__(self, bwrap: str, max_processes: int):
        self.bwrap = bwrap
        self.max_processes = max_processes
        self.per_slot_uids = os.geteuid() == 0  # only root can give each slot its own uid
        self._uid_locks: dict[int, int] = {}  # uid -> open lock file, held while a slot uses the uid

    @classmethod
    def probe(cls, max_processes: int = 256) -> "Confinement":
        """A working confinement, or ConfinementUnavailable with the reason."""
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise ConfinementUnavailable("bubblewrap is not installed (Debian package bubblewrap)")
        if os.geteuid() == 0 and not all(os.access(f"/usr/bin/{tool}", os.X_OK) for tool in ("setpriv", "unshare")):
            raise ConfinementUnavailable("/usr/bin/setpriv or /usr/bin/unshare is missing (Debian package util-linux)")
        confinement = cls(bwrap, max_processes)
        uid = confinement.slot_uid()
        with _TempJobDir(uid) as job_dir:  # released only on success: a failed probe ends the worker
            argv = confinement.command(["/usr/bin/true"], job_dir=job_dir, uid=uid, app=None, network=False)
            try:
                proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, env={})
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ConfinementUnavailable(f"bubblewrap could not start: {exc}") from None
        if proc.returncode != 0:
            lines = (proc.stderr or "").strip().splitlines()
            reason = lines[-1] if lines else f"exit status {proc.returncode}"
            raise ConfinementUnavailable(f"bubblewrap cannot create namespaces here ({reason}); "
                                         "are user namespaces enabled?")
        confinement.release(uid)
        return confinement

    def slot_uid(self) -> int | None:
        """A uid no other slot on this machine uses, held until the worker exits (None when not root)."""
        if not self.per_slot_uids:
            return None
        UID_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
        uid = FIRST_SLOT_UID
        while True:
            fd = os.open(UID_LOCKS / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                uid += 1
                continue
            self._uid_locks[uid] = fd
            return uid

    def release(self, uid: int | None) -> None:
        fd = self._uid_locks.pop(uid, None)
        if fd is not None:
            os.close(fd)

    def job_paths(self, job_dir: Path) -> tuple[str, str]:
        """(job directory, output directory) as the job sees them."""
        return JOB_ROOT, f"{JOB_ROOT}/output"

    def app_path(self, host_path: str, name: str) -> str:
        return f"{APP_ROOT}/{name}"

    def prepare(self, job_dir: Path, uid: int | None) -> None:
        """Hand the job directory and everything in it to the slot's uid."""
        if uid is not None:
            hand_over(job_dir, uid)

    def command(self, argv: list[str], *, job_dir: Path, uid: int | None, app: Mount | None,
                network: bool) -> list[str]:
        """`argv` (already in the job's view: /app/NAME ...) wrapped in its namespaces and uid.

        As root, bubblewrap builds the namespaces and mounts with root's rights (so the job
        directory may sit under directories only root can enter), keeps nothing but the right
        to change uid, and the job then drops to its slot's uid (setpriv, no new privileges, no
        capabilities) and into a user namespace that shows it as uid 1000 (unshare). Without
        root, bubblewrap does all of it unprivileged, as the worker's own user.

        The spawn path, as root: prlimit (runner.py) -> bwrap -> setpriv -> unshare -> app.
        Creating the namespaces and mounts in bwrap is most of a job start's cost; the uid
        drop is the rest (`python -m bench.spawn_cost` times each part). Folding the drop into
        bwrap does not hold: as root, `--unshare-user --uid` maps the sandbox to real root, and
        started as the slot's uid (or joining a per-slot namespace with `--userns`) bwrap resolves
        bind sources as that uid, so the work directory would have to be reachable by every slot
        uid (`--bind-fd` does not help: bubblewrap 0.8 walks the descriptor's path).
        See docs/grid.md, "The spawn path and its cost".
        """
        sandbox = [self.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
                   *([] if network else ["--unshare-net"]), "--die-with-parent", "--new-session",
                   "--hostname", "cumulus", *_SYSTEM]
        if uid is None:
            sandbox[1:1] = ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
        else:
            # Enough to enter the slot's 0700 directory and change uid; setpriv then drops even these.
            sandbox += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                        "--cap-add", "CAP_DAC_READ_SEARCH"]
        for path in _ETC + (_ETC_NETWORK if network else []):
            sandbox += ["--ro-bind-try", path, path]
        sandbox += ["--proc", "/proc", *_DEVICES, "--bind", str(job_dir), JOB_ROOT]
        if app is not None:
            sandbox += ["--perms", "0755", "--dir", APP_ROOT, "--ro-bind", app.host, app.inside]
        sandbox += ["--chdir", JOB_ROOT, "--"]
        if uid is not None:
            sandbox += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
                        "--inh-caps=-all", "--bounding-set=-all", "--",
                        "/usr/bin/unshare", "--user", f"--map-user={SANDBOX_UID}", f"--map-group={SANDBOX_UID}", "--"]
        return [*sandbox, *argv]

    def reap(self, uid: int | None, timeout: float = 10.0) -> None:
        """Kill whatever still runs as the slot's uid (after an overrun, the sandbox dies asynchronously)."""
        if uid is None:
            return
        deadline = time.monotonic() + timeout
        while (pids := _pids_of(uid)) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)


class Unconfined:
    """Jobs run as the worker's own user with host paths: only where the operator chose so."""

    enabled = False
    max_processes = None

    def slot_uid(self) -> None:
        return None

    def job_paths(self, job_dir: Path) -> tuple[str, str]:
        return str(job_dir), str(job_dir / "output")

    def app_path(self, host_path: str, name: str) -> str:
        return host_path

    def prepare(self, job_dir: Path, uid) -> None:
        pass

    def command(self, argv: list[str], **_ignored) -> list[str]:
        return argv

    def reap(self, uid, timeout: float = 0) -> None:
        pass


def hand_over(job_dir: Path, uid: int) -> None:
    """Give the job directory and everything in it to `uid`, readable by it alone (needs root)."""
    os.chown(job_dir, uid, uid)
    os.chmod(job_dir, 0o700)
    for dirpath, dirnames, filenames in os.walk(job_dir):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)


def job_environment(job_root: str, output_dir: str, callback_file: str, job_uid: str, task_id: str) -> dict:
    """The whole environment of a job: an allowlist (PATH, HOME, PWD, LANG and the grid's CUMULUS_*
    variables), nothing inherited from the worker."""
    return {b"PATH": BASE_PATH.encode(), b"HOME": job_root.encode(), b"PWD": job_root.encode(), b"LANG": b"C.UTF-8",
            b"CUMULUS_OUTPUT_DIR": output_dir.encode(), b"CUMULUS_CALLBACK_FILE": callback_file.encode(),
            b"CUMULUS_JOB_UID": job_uid.encode(), b"CUMULUS_TASK_ID": task_id.encode()}


def _pids_of(uid: int) -> list[int]:
    """Processes whose real uid is `uid` (read from status: /proc entries of non-dumpable ones belong to root)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/status") as status:
                    for line in status:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == uid:
                                pids.append(int(entry.name))
                            break
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
    return pids


class _TempJobDir:
    """An empty directory owned by `uid`, for the start-up probe."""

    def __init__(self, uid: int | None):
        import tempfile

        self.path = Path(tempfile.mkdtemp(prefix="xw-probe-"))
        if uid is not None:
            os.chown(self.path, uid, uid)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
