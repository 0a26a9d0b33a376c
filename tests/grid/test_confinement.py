"""Hostile apps on a real confined worker: each attack fails, the worker keeps serving, nothing is lost."""

from __future__ import annotations

import io
import os
import socket
import stat
import sys
import tarfile
import threading
import uuid
from pathlib import Path

import pytest

from offchain_grid.archive import read_member
from offchain_grid.client import GridClient

from .conftest import WORKER_KEYS, make_users
from .procs import TOKEN, Scheduler, Worker, finished, job_story, wait_until, xw

CHECKOUT = Path(__file__).resolve().parents[2]
MAX_PROCESSES = 48
SECRET = "s3cret-" + uuid.uuid4().hex  # written where only the worker could read it


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One scheduler and one confined worker with two slots, its key in a file."""
    tmp = tmp_path_factory.mktemp("confinement")
    db_url = f"sqlite:///{tmp / 'scheduler.db'}"
    make_users(db_url)
    scheduler = Scheduler(tmp, db_url, lease=10.0, alive=10.0).start()
    key_file = tmp / "worker.key"
    key_file.write_text(WORKER_KEYS[0])
    key_file.chmod(0o600)
    (tmp / "secret").mkdir()
    (tmp / "secret" / "secret.txt").write_text(SECRET)
    worker = Worker(tmp, scheduler.url, WORKER_KEYS[0], "w0", slots=2,
                    env={"CUMULUS_PRIVATE_KEY": "0x" + "ab" * 32, "WORKER_ONLY": SECRET},
                    extra=("--private-key-file", str(key_file), "--max-processes", str(MAX_PROCESSES))).start()
    client = GridClient(scheduler.url, TOKEN)
    yield Served(scheduler, worker, client, tmp, key_file)
    worker.stop()
    scheduler.stop()


class Served:
    def __init__(self, scheduler, worker, client, tmp, key_file):
        self.scheduler, self.worker, self.client, self.tmp, self.key_file = scheduler, worker, client, tmp, key_file

    def app(self, name: str, body: str, interpreter: str = "/bin/sh", network: bool = False) -> str:
        path = self.tmp / f"{name}.app"
        path.write_text(f"#!{interpreter}\n{body}")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        self.client.send_app(name, "x86_64", "linux", str(path), network=network)
        return name

    def run(self, app: str, args=(), timeout: float = 60, **fields) -> tuple[dict, bytes | None]:
        uid = self.client.submit(app, list(args), **fields)["uid"]
        job = wait_until(lambda: finished(self.client, uid), timeout, what=f"job {uid}")
        assert job["status"] in ("COMPLETED", "ERROR"), job_story(self.client, uid, [self.worker])
        archive = self.client.result_archive(uid) if job["status"] == "COMPLETED" else None
        return job, archive

    def still_serving(self) -> None:
        """The worker survived the attack and runs the next job."""
        if "echo-ok" not in {a["name"] for a in self.client.get("/apps")}:
            self.client.send_app("echo-ok", "x86_64", "linux", "/bin/echo")
        job, archive = self.run("echo-ok", ["still", "serving"])
        assert job["status"] == "COMPLETED", job
        assert read_member(archive, "stdout") == b"still serving\n"
        assert self.worker.proc.poll() is None


def stdout(archive: bytes) -> str:
    return read_member(archive, "stdout").decode()


def test_environment_is_an_allowlist(served):
    served.client.send_app("env", "x86_64", "linux", "/usr/bin/env")
    job, archive = served.run("env")
    assert job["status"] == "COMPLETED"
    names = {line.split("=", 1)[0] for line in stdout(archive).splitlines()}
    assert names == {"PATH", "HOME", "PWD", "LANG", "CUMULUS_OUTPUT_DIR", "CUMULUS_CALLBACK_FILE", "CUMULUS_JOB_UID",
                     "CUMULUS_TASK_ID"}
    text = stdout(archive)
    assert WORKER_KEYS[0][2:] not in text and SECRET not in text and "ab" * 32 not in text
    assert "CUMULUS_OUTPUT_DIR=/job/output\n" in text and "HOME=/job\n" in text and "PWD=/job\n" in text
    served.still_serving()


def test_job_sees_only_its_job(served):
    targets = [served.key_file, served.worker.workdir / "cache", served.worker.workdir / "jobs",
               served.tmp / "secret" / "secret.txt", Path.home(), CHECKOUT / "offchain_grid", Path("/etc/shadow"),
               Path("/proc/1/environ"), Path("/sys/kernel")]
    app = served.app("peek", """
import os, socket, sys
print("root", sorted(os.listdir("/")))
print("job", sorted(os.listdir("/job")), "cwd", os.getcwd(), "uid", os.getuid(), "gid", os.getgid())
print("host", socket.gethostname(), "pids", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as handle:
            print("READ", path, handle.read(64))
    except IsADirectoryError:
        print("SEES", path, os.listdir(path)[:5])
    except OSError as exc:
        print("refused", path, exc.__class__.__name__)
""", interpreter="/usr/bin/python3")
    job, archive = served.run(app, [str(t) for t in targets])
    assert job["status"] == "COMPLETED", job
    lines = stdout(archive).splitlines()
    assert lines[0] == "root ['app', 'bin', 'dev', 'etc', 'job', 'lib', 'lib64', 'proc', 'sbin', 'usr']", lines
    assert lines[1] == "job ['output'] cwd /job uid 1000 gid 1000"
    host, pids = lines[2].split(" pids ")
    assert host == "host cumulus" and len(eval(pids)) <= 3  # its own PID namespace: the sandbox and the app
    refused = [line for line in lines[3:] if line.startswith("refused")]
    assert len(refused) == len(targets), lines
    assert SECRET not in stdout(archive) and WORKER_KEYS[0][2:] not in stdout(archive)
    served.still_serving()


def test_devices_are_the_usual_few_and_stdout_is_the_jobs_own(served):
    served.app("devices", "ls /dev; echo to-stderr > /dev/stderr; head -c 3 /dev/urandom | wc -c\n"
                          "echo sink > /dev/null; touch /dev/shm/x /dev/x 2>/dev/null || echo refused\n"
                          "echo to-stdout >> /dev/stdout\n")  # last: the job's own stdout offset would overwrite it
    job, archive = served.run("devices")
    assert job["status"] == "COMPLETED", job
    assert stdout(archive).split() == ["fd", "full", "null", "random", "stderr", "stdin", "stdout", "urandom", "zero",
                                       "3", "refused", "to-stdout"]
    assert read_member(archive, "stderr") == b"to-stderr\n"
    served.still_serving()


def test_writes_outside_the_job_directory_fail(served):
    marker = uuid.uuid4().hex
    app = served.app("scribble", f"""
for target in ../../escape-{marker} /tmp/escape-{marker} /usr/escape-{marker} /escape-{marker} /app/escape-{marker} \
        /proc/escape-{marker} /dev/escape-{marker}; do
    if echo bad > "$target" 2>/dev/null; then echo "WROTE $target"; else echo "refused $target"; fi
done
echo good > output/inside.txt && echo wrote inside
""")
    job, archive = served.run(app)
    assert job["status"] == "COMPLETED", job
    text = stdout(archive)
    assert "WROTE" not in text and text.count("refused") == 7 and "wrote inside" in text
    assert read_member(archive, "output/inside.txt") == b"good\n"
    for place in (served.worker.workdir, served.worker.workdir.parent, Path("/tmp"), Path("/usr"), Path("/")):
        assert not (place / f"escape-{marker}").exists()
    served.still_serving()


def test_links_and_special_files_in_the_output_are_not_followed(served):
    secret_dir = served.tmp / "secret"
    served.app("swap-output", f"rm -r output && ln -s {secret_dir} output && echo swapped\n")
    job, archive = served.run("swap-output")
    assert job["status"] == "COMPLETED", job
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        assert tar.getnames() == ["exit_code", "stderr", "stdout"]  # output/ was a link: nothing read through it
    assert SECRET.encode() not in archive

    served.app("plant-links", f"""
ln -s {secret_dir}/secret.txt output/absolute
ln -s ../../../../../../../../{str(secret_dir).lstrip('/')}/secret.txt output/climbing
ln -s ../.cumulus-callback output/sideways
mkfifo output/fifo
ln -s inside.txt output/fine
echo ok > output/inside.txt
""")
    job, archive = served.run("plant-links", timeout=60)
    assert job["status"] == "COMPLETED", job
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = tar.getnames()
    assert names == ["exit_code", "stderr", "stdout", "output", "output/fine", "output/inside.txt"]
    assert SECRET.encode() not in archive
    served.still_serving()


def test_fifo_or_device_as_callback_file_fails_fast(served):
    served.app("fifo-callback", "mkfifo .cumulus-callback\necho planted\n")
    job, _ = served.run("fifo-callback", max_retries=0, max_wall_seconds=600, timeout=60)
    assert job["status"] == "ERROR" and "callback file must be a regular file" in job["error"], job
    served.app("device-callback", "ln -s /dev/zero .cumulus-callback\n")
    job, _ = served.run("device-callback", max_retries=0, max_wall_seconds=600, timeout=60)
    assert job["status"] == "ERROR" and "may not be a symlink" in job["error"], job
    served.still_serving()


def test_fork_bomb_hits_the_process_limit(served):
    app = served.app("bomb", """
import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
except OSError as exc:
    print("stopped after", children, "children:", exc.strerror)
""", interpreter="/usr/bin/python3")
    job, archive = served.run(app, max_wall_seconds=120)
    assert job["status"] == "COMPLETED", job
    words = stdout(archive).split()
    assert words[:2] == ["stopped", "after"] and int(words[2]) < MAX_PROCESSES, words
    wait_until(lambda: not _processes_with("time.sleep(60)"), 30, what="the bomb's children to be gone")
    served.still_serving()


def test_leftover_and_overrunning_processes_are_killed(served):
    marker = str(900000 + uuid.uuid4().int % 99999)
    served.app("leave-behind", f"setsid sleep {marker} &\nsleep {marker} &\necho left\n")
    job, archive = served.run("leave-behind")
    assert job["status"] == "COMPLETED" and stdout(archive) == "left\n"
    wait_until(lambda: not _processes_with(f"sleep {marker}"), 30, what="left-behind processes to be killed")

    served.app("overrun", f"setsid sleep {marker} &\nexec sleep {marker}\n")
    job, _ = served.run("overrun", max_wall_seconds=2, max_retries=0)
    assert job["status"] == "ERROR" and "wall time limit of 2 s exceeded" in job["error"], job
    wait_until(lambda: not _processes_with(f"sleep {marker}"), 30, what="the overrunning sandbox to be killed")
    served.still_serving()


def _processes_with(text: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if text.encode() in Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" "):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_network_only_for_apps_registered_with_it(served):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        accepted = []
        threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
        body = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
    print("connected")
except OSError as exc:
    print("no network:", exc.__class__.__name__)
"""
        served.app("offline", body, interpreter="/usr/bin/python3")
        job, archive = served.run("offline")
        assert job["status"] == "COMPLETED" and stdout(archive).startswith("no network"), stdout(archive)
        assert not accepted
        served.app("online", body, interpreter="/usr/bin/python3", network=True)
        assert served.client.get("/apps/online")["network"] is True
        job, archive = served.run("online")
        assert job["status"] == "COMPLETED" and stdout(archive) == "connected\n", stdout(archive)
        wait_until(lambda: accepted, 10, what="the connection of the networked app")
        accepted[0][0].close()
    served.still_serving()


def test_slots_cannot_see_or_signal_each_other(served):
    served.app("victim", "sleep 4\necho survived\n")
    served.app("assassin", """
import os, signal
mine = os.getpid()
seen = [int(p) for p in os.listdir("/proc") if p.isdigit()]
for pid in seen:
    if pid not in (mine, 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
print("saw", len(seen))
""", interpreter="/usr/bin/python3")
    victim = served.client.submit("victim")["uid"]
    wait_until(lambda: served.client.job(victim)["status"] == "RUNNING", 30, what="the victim running")
    job, archive = served.run("assassin")
    assert job["status"] == "COMPLETED" and int(stdout(archive).split()[1]) <= 3
    done = wait_until(lambda: finished(served.client, victim), 60, what="the victim")
    assert done["status"] == "COMPLETED"
    assert read_member(served.client.result_archive(victim), "stdout") == b"survived\n"
    served.still_serving()


def test_worker_refuses_to_start_unconfined_unless_told(served, tmp_path):
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    env = {"PATH": str(no_bwrap), "XW_WORKER_PRIVATE_KEY": WORKER_KEYS[6]}
    refused = xw("worker", "--scheduler", served.scheduler.url, "--workdir", str(tmp_path / "w"), env=env)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "Error: cannot confine jobs on this machine: bubblewrap is not installed (Debian package bubblewrap); "
        "install bubblewrap, or start with --unconfined to run only apps you trust"]

    unconfined = Worker(tmp_path, served.scheduler.url, WORKER_KEYS[6], "loose", env={"PATH": str(no_bwrap)},
                        extra=("--unconfined", "--shared-app", "loose-true=/usr/bin/true")).start()
    try:
        served.client.add_shared("loose-true")
        job, _ = served.run("loose-true")
        assert job["status"] == "COMPLETED"
        log = unconfined.output()
        assert "jobs run UNCONFINED" in log and f"job {job['uid']} runs UNCONFINED" in log
    finally:
        unconfined.stop()
