"""Docker apps on a real engine: the image pinned by its id and checked before it runs, loaded from
the app's tarball when the engine lacks it, and each job in a container with no network, memory,
CPU, process and file-size limits, a read-only root, no capabilities, an unprivileged uid and
the job directory as its only writable mount."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GridError
from ..images import read_saved_image
from .confine import BASE_PATH, FIRST_SLOT_UID, JOB_ROOT

LABEL = "org.cumulus.worker"  # marks the containers of one worker (its address), to clean up after a crash
# The uid Docker jobs run as (when the worker is root): the same on every worker, so outputs agree, and
# reserved for the grid like the slot uids above it. Containers sharing it still cannot reach each other:
# each has its own PID, IPC, network and mount namespaces and sees only its own job directory.
DOCKER_UID = FIRST_SLOT_UID - 1


class DockerFailed(Exception):
    """The engine could not provide, check or run the pinned image; the message is for the user."""


@dataclass(frozen=True)
class ContainerLimits:
    memory_mb: int
    processes: int
    file_mb: int
    cpu_seconds: int
    cpus: float = 1.0


@dataclass
class DockerEngine:
    host: str | None = None  # DOCKER_HOST, e.g. unix:///run/docker.sock; None: the client's default
    owner: str = ""  # the worker's address, set as a label on its containers
    _loading: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def env(self) -> dict[str, str]:
        """The client's environment: nothing of the worker's but PATH and HOME (its key stays out)."""
        env = {"PATH": os.environ.get("PATH", BASE_PATH), "HOME": os.environ.get("HOME", "/")}
        if self.host:
            env["DOCKER_HOST"] = self.host
        return env

    def _docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, env=self.env,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DockerFailed(f"docker {args[0]} failed: {exc}") from None

    def problem(self) -> str | None:
        """None if the engine answers, else a one-line reason."""
        try:
            proc = self._docker("info", "--format", "{{.ServerVersion}}", timeout=20)
        except DockerFailed as exc:
            return str(exc)
        if proc.returncode != 0:
            return "no Docker engine is available: " + _last_line(proc, "docker info")
        return None

    def inspect(self, image_id: str) -> dict | None:
        """{"id", "volumes"} of an image the engine holds under exactly this id, else None."""
        proc = self._docker("image", "inspect", "--format", "{{json .Id}} {{json .Config.Volumes}}",
                            f"sha256:{image_id}")
        if proc.returncode != 0:
            return None
        found, _, volumes = proc.stdout.strip().partition(" ")
        if json.loads(found) != f"sha256:{image_id}":
            return None
        return {"id": image_id, "volumes": sorted(json.loads(volumes or "null") or {})}

    def ensure_image(self, image_id: str, tarball: Callable[[], Path | None]) -> None:
        """Make sure the engine holds image `image_id` (64 hex) and that it may run here.

        A missing image is loaded from `tarball()` (already checked against its sha256) only
        after the tarball was shown to hold that very image; the engine checks every layer
        against the configuration while loading, and the id names the configuration.
        """
        with self._loading:  # two slots needing the same image load it once
            found = self.inspect(image_id)
            if found is None:
                path = tarball()
                if path is None:
                    raise DockerFailed(f"image sha256:{image_id} is not on this worker's Docker engine and the app "
                                       "has no image tarball to load it from")
                try:
                    saved = read_saved_image(path)
                except GridError as exc:
                    raise DockerFailed(f"the app's image tarball: {exc}") from None
                if saved.image_id != image_id:
                    raise DockerFailed(f"the app's image tarball holds image sha256:{saved.image_id}, "
                                       f"not the pinned sha256:{image_id}")
                proc = self._docker("load", "--input", str(path), timeout=600)
                if proc.returncode != 0:
                    raise DockerFailed("docker load failed: " + _last_line(proc, "docker load"))
                found = self.inspect(image_id)
                if found is None:
                    raise DockerFailed(f"the engine does not show image sha256:{image_id} after loading it")
        if found["volumes"]:
            raise DockerFailed(f"image sha256:{image_id} declares volumes {', '.join(found['volumes'])}: they would "
                               "be writable outside the job directory, so it does not run here")

    def create(self, image_id: str, args: list[str], *, name: str, job_dir: Path, uid: int, env: dict[bytes, bytes],
               network: bool, limits: ContainerLimits) -> str:
        """Create the job's container (removed when it exits) and return its id; DockerFailed if refused.

        Created apart from starting, so the engine's warnings never mix with the job's stderr.
        """
        command = ["create", "--rm", "--interactive", "--name", name, "--label", f"{LABEL}={self.owner}",
                   "--read-only", "--user", f"{uid}:{uid}", "--cap-drop", "ALL",
                   "--security-opt", "no-new-privileges", "--ipc", "private", "--hostname", "cumulus",
                   "--network", "bridge" if network else "none",
                   "--pids-limit", str(limits.processes), "--memory", f"{limits.memory_mb}m",
                   "--memory-swap", f"{limits.memory_mb}m", "--cpus", str(limits.cpus),
                   "--ulimit", f"fsize={limits.file_mb << 20}", "--ulimit", "core=0",
                   "--ulimit", f"cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
                   "--volume", f"{job_dir}:{JOB_ROOT}", "--workdir", JOB_ROOT]
        for key, value in env.items():
            command += ["--env", f"{key.decode()}={value.decode()}"]
        proc = self._docker(*command, f"sha256:{image_id}", *args, timeout=120)
        if proc.returncode != 0:
            raise DockerFailed("the Docker engine refused the container: " + _last_line(proc, "docker create"))
        return proc.stdout.strip().splitlines()[-1]

    @staticmethod
    def start_command(container: str) -> list[str]:
        """Runs the created container attached to the caller's stdin, stdout and stderr; exits with its code."""
        return ["docker", "start", "--attach", "--interactive", container]

    def remove(self, container: str) -> None:
        """Stop and remove a container (killing the attached client does not stop it)."""
        try:
            self._docker("rm", "--force", container, timeout=60)
        except DockerFailed:
            pass

    def remove_leftovers(self) -> int:
        """Remove containers a previous process of this worker left running (it crashed); how many."""
        try:
            proc = self._docker("ps", "--all", "--quiet", "--filter", f"label={LABEL}={self.owner}")
        except DockerFailed:
            return 0
        leftovers = proc.stdout.split() if proc.returncode == 0 else []
        for container in leftovers:
            self.remove(container)
        return len(leftovers)


def _last_line(proc: subprocess.CompletedProcess, what: str) -> str:
    lines = (proc.stderr or proc.stdout or "").strip().splitlines()
    return lines[-1][:300] if lines else f"{what} exited {proc.returncode}"
