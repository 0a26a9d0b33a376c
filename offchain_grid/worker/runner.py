"""Runs one assignment in its own directory, confined and limited, and turns it into a signed report."""

from __future__ import annotations

import errno
import logging
import os
import resource
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..archive import ResultTooLarge, check_file_name, pack_result
from ..contribution import SigningDomain, callback_data_hash, result_digest, sign_contribution
from ..errors import UnsafePath
from .confine import JOB_ROOT, Mount, Unconfined, hand_over, job_environment
from .docker import DOCKER_UID, ContainerLimits, DockerEngine, DockerFailed
from .jobdirs import OUTPUT_DIR, JobDirs, Slot
from .sources import JobFailed, Sources

log = logging.getLogger("xw.worker")
MAX_CALLBACK_BYTES = 1024
CALLBACK_FILE = ".cumulus-callback"
PRLIMIT = shutil.which("prlimit")

@dataclass(frozen=True)
class Limits:
    memory_mb: int = 4096  # address space per job
    file_mb: int = 1024  # largest file a job may write
    max_output_mb: int = 64  # result archive bound, as the scheduler's


def run_assignment(assignment: dict, *, dirs: JobDirs, sources: Sources, private_key, limits: Limits,
                   shared_tools: dict[str, str], confinement=None, docker: DockerEngine | None = None,
                   started=None) -> dict:
    """Execute and sign; returns a result for WorkerClient.report (the archive as bytes). Raises JobFailed
    with a readable reason.

    `started(proc)` is called with the job's process (the leader of its process group) once it runs.
    """
    confinement, docker = confinement or Unconfined(), docker or DockerEngine()
    with dirs.lease() as slot:
        io = {name: dirs.io_file(slot.path, name) for name in ("stdin", "stdout", "stderr")}
        io["stdin"].unlink(missing_ok=True)
        try:
            if assignment["app"].get("image"):
                image_id = _docker_image(assignment, sources, docker)
                _place_inputs(assignment, sources, slot.path, io["stdin"])
                launch = _docker_launch(image_id, assignment, slot, limits, confinement, docker)
            else:
                if not confinement.enabled:
                    log.warning("job %s runs UNCONFINED (--unconfined): it can read this worker's files and key",
                                assignment["job"])
                command, app_mount = _command(assignment, sources, shared_tools, confinement)
                _place_inputs(assignment, sources, slot.path, io["stdin"])
                launch = _sandbox_launch(command, app_mount, assignment, slot, limits, confinement)
            exit_code = _execute(launch, assignment["max_wall_seconds"], slot, io, started)
        except DockerFailed as exc:
            raise JobFailed(str(exc)) from None
        return _result(assignment, slot, io, exit_code, limits, private_key)


def _result(assignment: dict, slot: Slot, io: dict[str, Path], exit_code: int, limits: Limits, private_key) -> dict:
    stdout, stderr = _read_bounded(io["stdout"], limits), _read_bounded(io["stderr"], limits)
    callback = read_callback(slot.path)
    try:
        archive = pack_result(stdout, stderr, exit_code, slot.path / OUTPUT_DIR,
                              max_bytes=limits.max_output_mb * 1024 * 1024)
    except ResultTooLarge as exc:
        raise JobFailed(str(exc)) from None
    return sign_result(assignment, archive, callback, private_key)


def sign_result(assignment: dict, archive: bytes, callback: bytes, private_key) -> dict:
    d = assignment["domain"]
    domain = SigningDomain(d["name"], d["version"], d["chain_id"], d["verifying_contract"])
    digest = result_digest(archive)
    signature = sign_contribution(private_key, domain, assignment["task_id"], digest, callback_data_hash(callback))
    return {"replicate": assignment["replicate"], "result_digest": "0x" + digest.hex(), "callback_data": "0x" + callback.hex(),
            "signature": "0x" + signature.hex(), "archive": archive}


@dataclass
class Launch:
    """How a job's process starts, and what else to stop when it had to be killed."""

    argv: list[str]
    env: dict
    preexec: Callable[[], None] | None = None
    after_kill: Callable[[], None] = field(default=lambda: None)
    owner: int | None = None  # the uid the job runs as: its stdout and stderr are its own (/dev/stdout works)


def _command(assignment: dict, sources: Sources, shared_tools: dict[str, str],
             confinement) -> tuple[list[str], Mount]:
    """The app's command line as the job sees it, and the app file to mount for it."""
    app = assignment["app"]
    args = [str(a) for a in assignment["args"]]
    if app["type"] == "DEPLOYABLE":
        path = sources.fetch(app["uri"], app["checksum"], f"app {app['name']}")
        if not os.access(path, os.X_OK):
            os.chmod(path, 0o555)
        host = str(path)
    else:
        host = shared_tools.get(app["name"])
        if host is None:
            raise JobFailed(f"this worker does not provide shared app {app['name']!r}")
    inside = confinement.app_path(host, app["name"])
    return [inside, *args], Mount(host, inside)


def _place_inputs(assignment: dict, sources: Sources, job_dir: Path, stdin_path: Path) -> None:
    for item in assignment["data"]:
        try:
            name = check_file_name(item["name"])
        except UnsafePath as exc:
            raise JobFailed(str(exc)) from None
        source = sources.fetch(item["uri"], item["checksum"], f"data {name}")
        shutil.copyfile(source, job_dir / name)  # a copy: the job may not alter the cache
        if source.name.startswith(".nochecksum-"):
            source.unlink(missing_ok=True)
    if assignment.get("stdin") is not None:
        stdin_path.write_text(assignment["stdin"])


def _environment(assignment: dict, job_root: str, output_dir: str) -> dict:
    return job_environment(job_root, output_dir, f"{job_root}/{CALLBACK_FILE}", assignment["job"],
                           assignment["task_id"])


def _sandbox_launch(command: list[str], app_mount: Mount, assignment: dict, slot: Slot, limits: Limits,
                    confinement) -> Launch:
    """The app run directly: in bubblewrap's namespaces as the slot's uid, under rlimits."""
    env = _environment(assignment, *confinement.job_paths(slot.path))
    confinement.prepare(slot.path, slot.uid)
    command = confinement.command(command, job_dir=slot.path, uid=slot.uid, app=app_mount,
                                  network=bool(assignment["app"].get("network")))
    argv, preexec = _limited(command, assignment["max_wall_seconds"], limits, confinement.max_processes)
    return Launch(argv, env, preexec, after_kill=lambda: confinement.reap(slot.uid), owner=slot.uid)


def _docker_image(assignment: dict, sources: Sources, docker: DockerEngine) -> str:
    """The app's pinned image id, present and checked on the engine (loaded from its tarball if need be)."""
    app = assignment["app"]
    if not app.get("checksum"):
        raise JobFailed(f"Docker app {app['name']!r} is not pinned to an image id")
    uri = app.get("uri") or ""
    tarball = (lambda: sources.fetch(uri, uri[5:], f"image tarball of app {app['name']}")) \
        if uri.startswith("blob:") else (lambda: None)
    docker.ensure_image(app["checksum"], tarball)
    return app["checksum"]


def _docker_launch(image_id: str, assignment: dict, slot: Slot, limits: Limits, confinement,
                   docker: DockerEngine) -> Launch:
    """A container of the pinned image, with the same paths and environment as a sandboxed job."""
    uid = DOCKER_UID if os.geteuid() == 0 else os.getuid()
    if os.geteuid() == 0:
        hand_over(slot.path, uid)
    wall = assignment["max_wall_seconds"]
    container = docker.create(
        image_id, [str(a) for a in assignment["args"]], name=f"cumulus-{assignment['replicate']}",
        job_dir=slot.path, uid=uid, env=_environment(assignment, JOB_ROOT, f"{JOB_ROOT}/{OUTPUT_DIR}"),
        network=bool(assignment["app"].get("network")),
        limits=ContainerLimits(memory_mb=limits.memory_mb, processes=confinement.max_processes or 256,
                               file_mb=limits.file_mb, cpu_seconds=wall + 1))
    return Launch(docker.start_command(container), docker.env, after_kill=lambda: docker.remove(container))


def _execute(launch: Launch, wall: int, slot: Slot, io: dict[str, Path], started=None) -> int:
    with open(io["stdout"], "wb") as out, open(io["stderr"], "wb") as err, \
            (open(io["stdin"], "rb") if io["stdin"].exists() else open(os.devnull, "rb")) as stdin:
        if launch.owner is not None:
            for handle in (out, err):
                os.fchown(handle.fileno(), launch.owner, launch.owner)
        proc = _spawn(launch.argv, cwd=slot.path, env=launch.env, stdin=stdin, stdout=out, stderr=err,
                      start_new_session=True, preexec_fn=launch.preexec)
        if started:
            started(proc)
        # A timer kills the group at the limit, so the wait blocks instead of polling with sleeps.
        overrun = threading.Event()
        timer = threading.Timer(wall, lambda: (overrun.set(), _kill_group(proc, reap=False)))
        timer.start()
        try:
            code = proc.wait()
        finally:
            timer.cancel()
        _kill_group(proc)  # background children the app left behind must not outlive it
        if overrun.is_set() or code < 0:  # killed: what runs apart from the group (sandbox, container) goes too
            launch.after_kill()
        if overrun.is_set():
            raise JobFailed(f"wall time limit of {wall} s exceeded; the job was killed")
        return code


def _spawn(command: list[str], **kwargs) -> subprocess.Popen:
    # ETXTBSY: another thread's fork may briefly hold a write handle on a freshly cached app.
    for attempt in range(20):
        try:
            return subprocess.Popen(command, **kwargs)
        except OSError as exc:
            if exc.errno != errno.ETXTBSY or attempt == 19:
                raise JobFailed(f"cannot start {command[0]}: {exc.strerror}") from None
            time.sleep(0.05)
    raise JobFailed(f"cannot start {command[0]}")


def _limited(command: list[str], wall: int, limits: Limits, max_processes: int | None):
    """The command wrapped so its limits apply from its first instruction.

    util-linux prlimit lets Python spawn with vfork (about 1 ms); a preexec_fn forces a full
    fork of the worker (about 4 ms), so it is only the fallback where prlimit is missing.
    """
    if PRLIMIT:
        return [PRLIMIT, f"--cpu={wall + 1}:{wall + 2}", f"--fsize={limits.file_mb << 20}",
                f"--as={limits.memory_mb << 20}", "--core=0",
                *([f"--nproc={max_processes}"] if max_processes else []), "--", *command], None
    return command, _limiter(wall, limits, max_processes)


def _limiter(wall: int, limits: Limits, max_processes: int | None):
    def apply():
        if max_processes:  # counted per real uid: the slot's own
            resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
        resource.setrlimit(resource.RLIMIT_CPU, (wall + 1, wall + 2))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20, limits.file_mb << 20))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb << 20, limits.memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _kill_group(proc: subprocess.Popen, reap: bool = True) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # the group is already gone
        pass
    if reap:
        proc.wait()


def read_callback(job_dir: Path) -> bytes:
    """The callback file's bytes, read without following a link or blocking on a FIFO or device."""
    try:
        fd = os.open(job_dir / CALLBACK_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return b""
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise JobFailed("the callback file may not be a symlink") from None
        raise JobFailed(f"the callback file cannot be read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise JobFailed("the callback file must be a regular file")
        data = handle.read(MAX_CALLBACK_BYTES + 1)
    if len(data) > MAX_CALLBACK_BYTES:
        raise JobFailed(f"callback data exceeds {MAX_CALLBACK_BYTES} bytes")
    return data


def _read_bounded(path: Path, limits: Limits) -> bytes:
    """stdout or stderr, refused past the result bound instead of filling the worker's memory."""
    cap = limits.max_output_mb * 1024 * 1024
    if path.stat().st_size > cap:
        raise JobFailed(f"{path.name.rsplit('.', 1)[-1]} of {path.stat().st_size} bytes exceeds "
                        f"{limits.max_output_mb} MB")
    return path.read_bytes()
