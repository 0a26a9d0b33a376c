"""The `xw` verbs through click's CliRunner against a real scheduler and worker."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from eth_account import Account

from offchain_grid.cli import cli

from .procs import TOKEN, free_port, wait_until, xw


@pytest.fixture
def run(grid, sqlite_url, tmp_path, monkeypatch):
    scheduler = grid.start(sqlite_url, lease=10.0, alive=10.0)  # no lease runs out here
    monkeypatch.setenv("XW_CONFIG", str(tmp_path / "no-config.json"))
    runner = CliRunner()
    env = {"XW_SERVER": scheduler.url, "XW_TOKEN": TOKEN}

    def invoke(*args, ok=True, env_extra=None):
        result = runner.invoke(cli, list(args), env={**env, **(env_extra or {})}, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    invoke.scheduler = scheduler
    return invoke


def test_admin_create_user_prints_token_and_refuses_duplicates(db_url):
    url = db_url  # postgresql:// as the README writes it, and SQLite
    first = xw("admin", "create-user", "carol", "--admin", "--db", url)
    assert first.returncode == 0 and len(first.stdout.strip()) >= 32
    again = xw("admin", "create-user", "carol", "--db", url)
    assert again.returncode == 1
    assert again.stderr.strip() == "Error: user 'carol' already exists"


def test_admin_create_user_exist_ok_is_idempotent(sqlite_url):
    token = "t" * 32
    for _ in range(2):  # a service that restarts runs it again with the token it kept
        done = xw("admin", "create-user", "oracle", "--admin", "--token", token, "--exist-ok", "--db", sqlite_url)
        assert done.returncode == 0 and done.stdout.strip() == token
    taken = xw("admin", "create-user", "dave", "--token", token, "--exist-ok", "--db", sqlite_url)
    assert taken.returncode == 1 and taken.stderr.strip() == "Error: that token is already in use"


def test_verbs_end_to_end(run, grid, tmp_path):
    grid.worker(0)
    app_uid = run("sendapp", "DEPLOYABLE", "X86_64", "linux", "/bin/cat").stdout.strip()
    apps = json.loads(run("apps", "--json").stdout)
    assert [(a["uid"], a["name"], a["arch"]) for a in apps] == [(app_uid, "cat", "x86_64")]
    (tmp_path / "words.txt").write_text("alpha beta\n")
    data_uid = run("senddata", str(tmp_path / "words.txt")).stdout.strip()
    assert json.loads(run("datas", "--json").stdout)[0]["name"] == "words.txt"
    submitted = run("submit", "cat", "--data", data_uid, "--wait", "--", "words.txt")
    job_uid = submitted.stdout.split()[0]
    assert submitted.stdout.split()[1] == "COMPLETED"
    assert "COMPLETED" in run("works").stdout
    assert run("status", job_uid).stdout.startswith(f"{job_uid} COMPLETED")
    fetched = run("result", job_uid, "--dir", str(tmp_path / "out"))
    assert fetched.stdout == "alpha beta\n"
    assert (tmp_path / "out" / "stdout").read_text() == "alpha beta\n"
    workers = json.loads(run("workers", "--json").stdout)
    assert workers[0]["address"] == grid.address(0) and workers[0]["completed"] == 1
    docker_uid = run("adddocker", "alpine-echo", "sha256:" + "a1" * 32).stdout.strip()
    assert json.loads(run("apps", "--json").stdout)[1]["uid"] == docker_uid
    assert "removed app" in run("rm", docker_uid).stdout
    assert "removed data" in run("rm", data_uid).stdout
    assert "removed app" in run("rm", "cat").stdout  # its only job is finished
    assert json.loads(run("apps", "--json").stdout) == []
    assert json.loads(run("works", "--json").stdout)[0]["app"] == "cat"  # finished jobs keep the name


def test_rm_of_a_job_aborts_it(run):
    run("sendapp", "echo", "DEPLOYABLE", "x86_64", "linux", "/bin/echo")
    uid = run("submit", "echo", "hi").stdout.strip()
    assert run("rm", uid).stdout.strip() == f"aborted job {uid}"
    assert json.loads(run("status", uid, "--json").stdout)["status"] == "ABORTED"


def test_server_and_token_precedence(run, tmp_path):
    url = run.scheduler.url
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"server": "http://127.0.0.1:1", "token": "config-token-0000000"}))
    env = {"XW_CONFIG": str(config)}
    # Environment beats the config file.
    assert run("apps", env_extra=env).exit_code == 0
    # The config file alone is used when nothing else is set.
    alone = run("apps", ok=False, env_extra={**env, "XW_SERVER": "", "XW_TOKEN": ""})
    assert alone.exit_code == 1 and "cannot reach the scheduler at http://127.0.0.1:1" in alone.output
    # Options beat the environment.
    wrong = run("apps", "--token", "not-the-right-token", ok=False, env_extra=env)
    assert wrong.exit_code == 1 and "401: invalid API token" in wrong.output
    assert run("apps", "--server", url, "--token", TOKEN,
               env_extra={"XW_SERVER": "http://127.0.0.1:1", "XW_TOKEN": "x"}).exit_code == 0


def test_errors_are_one_line(run):
    for args, words in [
        (("submit", "ghost"), "404: unknown app 'ghost'"),
        (("status", "no-such-job"), "404: job 'no-such-job' not found"),
        (("sendapp", "x", "DEPLOYABLE", "x86_64", "linux", "/no/such/file"), "no such file: /no/such/file"),
        (("sendapp", "x", "DEPLOYABLE", "z80", "linux", "/bin/ls"), "unknown architecture 'z80'"),
        (("sendapp", "x", "SHARED", "x86_64", "linux", "/bin/ls"), "app type must be DEPLOYABLE"),
    ]:
        result = run(*args, ok=False)
        assert result.exit_code != 0
        lines = result.stdout.strip().splitlines()
        assert len(lines) <= 3 and words in result.output, result.output
        assert "Traceback" not in result.output


def test_missing_configuration_and_unreachable_server(tmp_path):
    env = {"XW_SERVER": "", "XW_TOKEN": "", "XW_CONFIG": str(tmp_path / "none.json")}
    missing = xw("apps", env=env)
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error: no scheduler URL") and "Traceback" not in missing.stderr
    down = xw("works", "--server", f"http://127.0.0.1:{free_port()}", "--token", "t" * 20, env=env)
    assert down.returncode == 1 and "cannot reach the scheduler" in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1


def test_every_command_has_an_example():
    runner = CliRunner()
    for name, command in cli.commands.items():
        subcommands = getattr(command, "commands", {"": command})
        for sub in subcommands:
            args = [name, sub, "--help"] if sub else [name, "--help"]
            result = runner.invoke(cli, [a for a in args if a])
            assert result.exit_code == 0 and "Example" in result.output, (name, sub)


def test_a_new_worker_without_key_gets_one_and_keeps_it(run, tmp_path):
    workdir = tmp_path / "w"
    key_file = workdir / "worker.key"
    command = [sys.executable, "-m", "offchain_grid.cli", "worker", "--scheduler", run.scheduler.url,
               "--workdir", str(workdir), "--no-docker", "--poll-interval", "0.2"]
    env = {**os.environ, "XW_WORKER_PRIVATE_KEY": ""}
    for attempt in ("first start", "second start"):
        worker = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: key_file.exists() and json.loads(run("workers", "--json").stdout), 30,
                       what=f"the worker registered ({attempt})")
        finally:
            worker.terminate()
            _, stderr = worker.communicate(timeout=30)
        address = Account.from_key(key_file.read_text().strip()).address
        assert [w["address"] for w in json.loads(run("workers", "--json").stdout)] == [address]  # the same key
        assert (f"new worker key in {key_file}: address {address}" in stderr) == (attempt == "first start")
    assert key_file.stat().st_mode & 0o777 == 0o600
    missing = xw("worker", "--scheduler", run.scheduler.url, "--private-key-file", str(tmp_path / "none.key"))
    assert missing.returncode == 1 and missing.stderr.strip().startswith("Error: cannot read key file")


def test_python_module_entry_point():
    result = xw("--version")
    assert result.returncode == 0 and result.stdout.startswith("xw ")


def test_status_wait_shows_progress(run, grid):
    run("sendapp", "echo", "DEPLOYABLE", "x86_64", "linux", "/bin/echo")
    uid = run("submit", "echo", "x").stdout.strip()
    grid.worker(1)
    result = run("status", uid, "--wait")
    assert "PENDING" in result.stderr or "RUNNING" in result.stderr or "COMPLETED" in result.stderr
    assert result.stdout.startswith(f"{uid} COMPLETED")


def test_result_exits_with_the_apps_exit_code_and_status_shows_it(run, grid, tmp_path):
    grid.worker(0)
    run("sendapp", "false", "DEPLOYABLE", "x86_64", "linux", "/bin/false")
    uid = run("submit", "false", "--wait").stdout.split()[0]
    assert run("status", uid).stdout.startswith(f"{uid} COMPLETED (exit code 1)")
    assert json.loads(run("status", uid, "--json").stdout)["exit_code"] == 1
    failed = run("result", uid, "--dir", str(tmp_path / "out"), ok=False)
    assert failed.exit_code == 1 and "exit code 1" in failed.stderr
    assert run("result", uid, "--dir", str(tmp_path / "again"), "--json", ok=False).exit_code == 1
    command = xw("result", uid, "--dir", str(tmp_path / "command"), env={"XW_SERVER": run.scheduler.url,
                                                                          "XW_TOKEN": TOKEN})
    assert command.returncode == 1 and "exit code 1" in command.stderr  # the console command too
    run("sendapp", "true", "DEPLOYABLE", "x86_64", "linux", "/bin/true")
    ok_uid = run("submit", "true", "--wait").stdout.split()[0]
    assert run("status", ok_uid).stdout.startswith(f"{ok_uid} COMPLETED (exit code 0)")
    assert run("result", ok_uid, "--dir", str(tmp_path / "ok")).exit_code == 0
