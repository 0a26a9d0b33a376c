"""Docker apps on a real engine (a private dockerd for this module): pinned by image id, carried to
workers in their tarball, and hostile containers that fail at every attack while the worker serves on."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import uuid

import pytest

from offchain_grid.archive import exit_code_of, read_member
from offchain_grid.client import ClientError, GridClient

from .conftest import WORKER_KEYS, make_users
from .dockerd import Dockerd
from .procs import TOKEN, Scheduler, Worker, finished, job_story, wait_until, xw

SECRET = "s3cret-" + uuid.uuid4().hex
PIDS = 32


@pytest.fixture(scope="module")
def engine():
    dockerd = Dockerd().start()
    yield dockerd
    dockerd.stop()


@pytest.fixture(scope="module")
def served(engine, tmp_path_factory):
    """A scheduler, a Docker worker (two slots) on the private engine, and app `bb`: a busybox image
    registered with its tarball and then removed from the engine, so the worker must load it."""
    tmp = tmp_path_factory.mktemp("docker")
    db_url = f"sqlite:///{tmp / 'scheduler.db'}"
    make_users(db_url)
    scheduler = Scheduler(tmp, db_url, lease=10.0, alive=10.0).start()
    client = GridClient(scheduler.url, TOKEN)
    image_id = engine.build_busybox("cumulus-test/bb:1", marker="bb")
    tarball = engine.save("cumulus-test/bb:1", tmp / "bb.tar")
    engine.remove_image("cumulus-test/bb:1")
    client.add_docker("bb", "cumulus-test/bb:1", tarball=tarball)
    worker = Worker(tmp, scheduler.url, WORKER_KEYS[0], "docker", slots=2, env={"WORKER_ONLY": SECRET},
                    extra=("--docker-host", engine.host, "--max-processes", str(PIDS), "--max-memory-mb", "256")
                    ).start()
    yield Served(engine, scheduler, worker, client, tmp, image_id)
    worker.stop()
    scheduler.stop()


class Served:
    def __init__(self, engine, scheduler, worker, client, tmp, image_id):
        self.engine, self.scheduler, self.worker, self.client = engine, scheduler, worker, client
        self.tmp, self.image_id = tmp, image_id

    def run(self, script: str, app: str = "bb", timeout: float = 90, **fields) -> tuple[dict, bytes | None]:
        uid = self.client.submit(app, ["sh", "-c", script], **fields)["uid"]
        job = wait_until(lambda: finished(self.client, uid), timeout, what=f"job {uid}")
        assert job["status"] in ("COMPLETED", "ERROR"), job_story(self.client, uid, [self.worker])
        return job, self.client.result_archive(uid) if job["status"] == "COMPLETED" else None

    def still_serving(self) -> None:
        """The worker survived, runs the next container, and left none behind."""
        job, archive = self.run("echo still serving")
        assert job["status"] == "COMPLETED", job
        assert read_member(archive, "stdout") == b"still serving\n"
        assert self.worker.proc.poll() is None
        wait_until(lambda: not self.engine.containers(), 30, what="no container left on the engine")


def stdout(archive: bytes) -> str:
    return read_member(archive, "stdout").decode()


def test_pinned_image_travels_in_its_tarball_and_runs_confined(served):
    assert served.image_id not in served.engine.image_ids()
    [app] = [a for a in served.client.get("/apps") if a["name"] == "bb"]
    assert app["checksum"] == served.image_id and app["image"] == "cumulus-test/bb:1" and app["uri"].startswith("blob:")
    job, archive = served.run('id -u; id -g; pwd; cat /marker; echo; cat /etc/hostname; echo made > output/made.txt; '
                              'printf callback > "$CUMULUS_CALLBACK_FILE"; exit 3')
    assert job["status"] == "COMPLETED", job
    assert stdout(archive).splitlines() == ["199999", "199999", "/job", "bb", "cumulus"]
    assert exit_code_of(archive[:1024]) == 3
    assert read_member(archive, "output/made.txt") == b"made\n"
    assert job["result"]["callback_data"] == "0x" + b"callback".hex()
    assert served.image_id in served.engine.image_ids()  # loaded from the tarball, checked against the pin
    served.still_serving()


def test_xw_adddocker_pins_by_id_from_a_local_name_or_a_tarball(served, tmp_path):
    env = {"XW_SERVER": served.scheduler.url, "XW_TOKEN": TOKEN, "DOCKER_HOST": served.engine.host}
    image_id = served.engine.build_busybox("cumulus-test/cli:1", marker="cli")
    by_name = xw("adddocker", "cli-local", "cumulus-test/cli:1", "--json", env=env)
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout)["checksum"] == image_id and json.loads(by_name.stdout)["uri"] is None
    tarball = served.engine.save("cumulus-test/cli:1", tmp_path / "cli.tar")
    with_file = xw("adddocker", "cli-file", "cumulus-test/cli:1", "--image-file", str(tarball), "--json", env=env)
    assert with_file.returncode == 0, with_file.stderr
    assert json.loads(with_file.stdout)["checksum"] == image_id
    unknown = xw("adddocker", "cli-unknown", "cumulus-test/nothing:1", env=env)
    assert unknown.returncode == 1 and unknown.stderr.startswith("Error: cannot pin image 'cumulus-test/nothing:1'")
    wrong = xw("adddocker", "cli-wrong", "sha256:" + "ab" * 32, "--image-file", str(tarball), env=env)
    assert wrong.returncode == 1 and f"holds image sha256:{image_id}, not sha256:{'ab' * 32}" in wrong.stderr
    assert "cli-wrong" not in {a["name"] for a in served.client.get("/apps")}
    job, archive = served.run("cat /marker", app="cli-local")
    assert job["status"] == "COMPLETED" and stdout(archive) == "cli", job


def test_registration_refuses_unpinned_mismatched_or_volume_images(served, tmp_path):
    with pytest.raises(ClientError, match="must be pinned"):
        served.client.add_docker("loose", "busybox:latest")
    served.engine.build_busybox("cumulus-test/vol:1", "vol", ("VOLUME /data",))
    tarball = served.engine.save("cumulus-test/vol:1", tmp_path / "vol.tar")
    with pytest.raises(ClientError, match=r"declares volumes \(/data\)"):
        served.client.add_docker("vol", "cumulus-test/vol:1", tarball=tarball)
    with pytest.raises(ClientError, match="holds image sha256:"):
        served.client.add_docker("vol", "cumulus-test/vol:1", image_id="sha256:" + "cd" * 32, tarball=tarball)
    with pytest.raises(ClientError, match="not a Docker image tarball"):
        served.client.add_docker("junk", "junk:1", tarball=__file__)
    assert {"loose", "vol", "junk"}.isdisjoint(a["name"] for a in served.client.get("/apps"))
    refused = hashlib.sha256(tarball.read_bytes()).hexdigest()
    assert not (served.tmp / "blobs" / refused[:2] / refused).exists()  # nothing of a refused tarball stays


def test_removing_a_docker_app_removes_its_tarball_unless_used(served, tmp_path):
    served.engine.build_busybox("cumulus-test/gone:1", marker="gone")
    tarball = served.engine.save("cumulus-test/gone:1", tmp_path / "gone.tar")
    checksum = hashlib.sha256(tarball.read_bytes()).hexdigest()
    stored = served.tmp / "blobs" / checksum[:2] / checksum
    served.client.add_docker("gone", "cumulus-test/gone:1", tarball=tarball)
    data = served.client.send_data(str(tarball), name="same-bytes.tar")  # the same bytes, as another user's data
    served.client.request("DELETE", "/apps/gone")
    assert stored.exists()  # the data still refers to it
    served.client.request("DELETE", f"/datas/{data['uid']}")
    assert not stored.exists()


def test_worker_checks_the_image_before_running_it(served):
    absent = "ef" * 32
    served.client.add_docker("absent", "cumulus-test/absent:1", image_id=absent)
    job, _ = served.run("echo never", app="absent", max_retries=0)
    assert job["status"] == "ERROR" and f"image sha256:{absent} is not on this worker's Docker engine" in job["error"]
    volumes = served.engine.build_busybox("cumulus-test/vol:2", "vol2", ("VOLUME /data",))
    served.client.add_docker("volumes", "cumulus-test/vol:2", image_id=volumes)
    job, _ = served.run("echo never", app="volumes", max_retries=0)
    assert job["status"] == "ERROR" and "declares volumes /data" in job["error"], job
    # A name pointing elsewhere on the worker's engine changes nothing: the pinned id runs.
    pinned = served.engine.build_busybox("cumulus-test/swap:1", marker="pinned")
    tarball = served.engine.save("cumulus-test/swap:1", served.tmp / "swap.tar")
    served.client.add_docker("swap", "cumulus-test/swap:1", tarball=tarball)
    served.engine.remove_image("cumulus-test/swap:1")
    served.engine.build_busybox("cumulus-test/swap:1", marker="impostor")
    job, archive = served.run("cat /marker", app="swap")
    assert job["status"] == "COMPLETED" and stdout(archive) == "pinned"
    served.still_serving()


def test_environment_and_files_of_the_worker_are_out_of_reach(served):
    key_file = served.worker.workdir / "worker.key"
    job, archive = served.run(f'env; echo; ls /; cat {key_file} {served.worker.workdir}/cache/* 2>&1')
    assert job["status"] == "COMPLETED", job
    environment, listing = stdout(archive).split("\n\n")
    names = {line.split("=", 1)[0] for line in environment.splitlines()}
    assert names <= {"PATH", "HOME", "PWD", "LANG", "HOSTNAME", "SHLVL", "CUMULUS_OUTPUT_DIR", "CUMULUS_CALLBACK_FILE",
                     "CUMULUS_JOB_UID", "CUMULUS_TASK_ID"}, names
    assert "CUMULUS_OUTPUT_DIR=/job/output" in environment.splitlines() and "HOME=/job" in environment.splitlines()
    assert SECRET not in stdout(archive) and WORKER_KEYS[0][2:] not in stdout(archive)
    assert listing.splitlines()[:8] == ["bin", "dev", "etc", "job", "marker", "proc", "sys", "tmp"]
    assert listing.count("No such file or directory") == 2
    served.still_serving()


def test_writes_outside_the_job_directory_fail(served):
    job, archive = served.run('for f in /x /bin/x /etc/x /tmp/x /marker; do (echo bad > $f) 2>/dev/null && '
                              'echo "WROTE $f" || echo "refused $f"; done; echo good > /job/output/inside.txt')
    assert job["status"] == "COMPLETED", job
    assert stdout(archive).split("\n")[:-1] == [f"refused {f}" for f in ("/x", "/bin/x", "/etc/x", "/tmp/x", "/marker")]
    assert read_member(archive, "output/inside.txt") == b"good\n"
    served.still_serving()


def test_no_network(served):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        accepted = []
        threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
        job, archive = served.run(f"nc -w 3 127.0.0.1 {port} </dev/null && echo CONNECTED; ls /sys/class/net")
    assert job["status"] == "COMPLETED", job
    assert stdout(archive) == "lo\n" and not accepted
    served.still_serving()


def test_fork_bomb_and_memory_hog_hit_their_limits(served):
    job, archive = served.run('i=0; while :; do sleep 60 & i=$((i+1)); echo $i; done')
    assert job["status"] == "COMPLETED", job
    assert int(stdout(archive).split()[-1]) < PIDS and "can't fork" in read_member(archive, "stderr").decode()
    job, archive = served.run("tail /dev/zero; echo status $?")
    assert job["status"] == "COMPLETED" and stdout(archive) == "status 137\n", stdout(archive)  # killed at 256 MB
    job, _ = served.run("bomb() { bomb | bomb & }; bomb; sleep 60", max_wall_seconds=3, max_retries=0)
    assert job["status"] == "ERROR" and "wall time limit of 3 s exceeded" in job["error"], job
    served.still_serving()  # and the bomb's container is gone


def test_a_docker_app_no_connected_worker_can_run_says_so(engine, grid, sqlite_url, tmp_path):
    grid.start(sqlite_url)
    image_id = engine.build_busybox("cumulus-test/wait:1", marker="wait")
    grid.alice.add_docker("waiting", "cumulus-test/wait:1", tarball=engine.save("cumulus-test/wait:1",
                                                                                   tmp_path / "wait.tar"))
    uid = grid.alice.submit("waiting", ["cat", "/marker"])["uid"]
    assert grid.alice.job(uid)["waiting"] == "no worker is connected"
    plain = grid.worker(1, extra=("--no-docker",))
    wait_until(lambda: grid.alice.get("/workers"), 30, what="the plain worker to connect")
    status = xw("status", uid, env={"XW_SERVER": grid.scheduler.url, "XW_TOKEN": TOKEN})
    assert status.stdout.strip() == (f"{uid} PENDING: no connected worker can run it: app 'waiting' is a Docker app "
                                     "and no connected worker offers a Docker engine"), status
    grid.worker(2, extra=("--docker-host", engine.host))
    job = wait_until(lambda: finished(grid.alice, uid), 60, what="the Docker worker to run it")
    assert job["status"] == "COMPLETED" and job["waiting"] is None
    assert read_member(grid.alice.result_archive(uid), "stdout") == b"wait"
    assert plain.proc.poll() is None
