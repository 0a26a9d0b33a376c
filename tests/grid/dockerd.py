"""A private Docker engine for the tests: dockerd on its own socket in a temporary directory (never
the machine's default one), stopped by its PID; images built here from a static busybox."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from .procs import wait_until

BUSYBOX = Path("/bin/busybox")  # Debian package busybox-static: runs in an image with nothing else


class Dockerd:
    def __init__(self):
        for tool, package in (("dockerd", "docker.io"), ("docker", "docker.io")):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} not found: install the Debian package {package}")
        self.root = Path(tempfile.mkdtemp(prefix="grid-dockerd-"))  # short: a socket path has 108 bytes
        self.socket = self.root / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.pidfile = self.root / "dockerd.pid"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Dockerd":
        config = self.root / "daemon.json"  # its key file stays here too, not in /etc/docker
        config.write_text(json.dumps({"deprecated-key-path": str(self.root / "key.json")}))
        self.proc = subprocess.Popen(
            ["dockerd", "--config-file", str(config), "--storage-driver=vfs", "--bridge=none", "--iptables=false",
             "-H", self.host, "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
             "--pidfile", str(self.pidfile)],
            stdout=open(self.root / "dockerd.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._answers, 60, interval=0.2, what="the private dockerd")
        return self

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"dockerd exited {self.proc.returncode}: "
                                 f"{(self.root / 'dockerd.log').read_text()[-2000:]}")
        return self.socket.exists() and self.docker("info", check=False).returncode == 0

    def docker(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "DOCKER_HOST": self.host})
        if check and proc.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc

    def containers(self) -> list[str]:
        return self.docker("ps", "--all", "--quiet").stdout.split()

    def image_ids(self) -> set[str]:
        return {line.removeprefix("sha256:") for line in
                self.docker("images", "--all", "--no-trunc", "--quiet").stdout.split()}

    def build_busybox(self, tag: str, marker: str = "", changes: tuple[str, ...] = ()) -> str:
        """Import an image holding only a static busybox (and /marker); its id, 64 hex."""
        rootfs = io.BytesIO()
        with tarfile.open(fileobj=rootfs, mode="w") as tar:
            for name in ("bin", "etc", "tmp"):
                info = tarfile.TarInfo(name)
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
                tar.addfile(info)
            tar.add(str(BUSYBOX), "bin/busybox")
            for applet in ("sh", "env", "id", "cat", "ls", "echo"):
                link = tarfile.TarInfo(f"bin/{applet}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(link)
            data = marker.encode()
            info = tarfile.TarInfo("marker")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        source = self.root / f"rootfs-{time.monotonic_ns()}.tar"
        source.write_bytes(rootfs.getvalue())
        change_args = [arg for change in changes for arg in ("--change", change)]
        self.docker("import", *change_args, str(source), tag)
        source.unlink()
        return self.docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip().removeprefix("sha256:")

    def save(self, image: str, path: Path) -> Path:
        self.docker("save", "--output", str(path), image)
        return path

    def remove_image(self, image: str) -> None:
        self.docker("rmi", "--force", image)

    def stop(self) -> None:
        """Remove the containers, stop dockerd (and the containerd it started) by PID, delete its files."""
        try:
            if self.proc and self.proc.poll() is None:
                for container in self.containers():
                    self.docker("rm", "--force", container, check=False)
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: dockerd and its containerd
                    self.proc.wait(10)
        finally:
            subprocess.run(["umount", "--recursive", "--lazy", str(self.root / "exec")], capture_output=True)
            shutil.rmtree(self.root, ignore_errors=True)
