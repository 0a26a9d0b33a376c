"""Commands that run the grid: `xw scheduler`, `xw worker`, `xw admin create-user`."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import click

from ..logs import configure as configure_logs
from ..logs import log_format_option, uvicorn_log_config
from .output import grid_errors

DEFAULT_DB_URL = "sqlite:///xw-scheduler.db"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--db", "db_url", default=DEFAULT_DB_URL, show_default=True, help="SQLAlchemy database URL.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where uploads and results are stored by sha256 (default: next to the SQLite file).")
@click.option("--lease-seconds", default=60.0, show_default=True, help="Lease of a replicate, renewed by alive signals.")
@click.option("--alive-timeout", default=60.0, show_default=True, help="Silence after which a worker is LOST.")
@click.option("--max-upload-mb", default=256, show_default=True, help="Largest app or data upload.")
@click.option("--max-result-mb", default=64, show_default=True,
              help="Largest result archive (a report batch may carry twice this).")
@click.option("--max-worker-failures", default=5, show_default=True, help="Consecutive failures before blacklisting.")
@click.option("--signup/--no-signup", default=True, show_default=True,
              help="Give a user account to whoever proves an Ethereum key (a signed challenge).")
@click.option("--dashboard/--no-dashboard", default=True, show_default=True,
              help="Serve the public read-only dashboard at /dashboard (and its JSON at /api/v1/dashboard).")
@click.option("--metrics/--no-metrics", default=True, show_default=True, help="Serve Prometheus metrics at /metrics.")
@click.option("--oracle-status", "oracle_status_url", metavar="URL",
              help="The /status of an oracle serving this grid's pool (oracle run --metrics-port), shown on the "
                   "dashboard, e.g. http://127.0.0.1:9101/status.")
@click.option("--log-level", default="warning", show_default=True)
@log_format_option
def scheduler(host, port, db_url, data_dir, lease_seconds, alive_timeout, max_upload_mb, max_result_mb,
              max_worker_failures, signup, dashboard, metrics, oracle_status_url, log_level, log_format):
    """Serve the scheduler's HTTP API (OpenAPI at /openapi.json).

    \b
    Example:
        xw scheduler --host 127.0.0.1 --port 8080 --db sqlite:///grid.db
        xw scheduler --db postgresql://grid:secret@db.example/grid
    """
    import uvicorn

    from ..api.main import create_app
    from ..db import sqlite_path
    from ..scheduler.settings import Settings

    if data_dir is None:
        path = sqlite_path(db_url)
        data_dir = (path.parent if path else Path(".")) / "xw-data"
    settings = Settings(db_url=db_url, data_dir=data_dir, lease_seconds=lease_seconds, alive_timeout=alive_timeout,
                        max_upload_bytes=max_upload_mb * 1024 * 1024, max_result_bytes=max_result_mb * 1024 * 1024,
                        max_worker_failures=max_worker_failures, open_signup=signup, dashboard=dashboard,
                        metrics=metrics, oracle_status_url=oracle_status_url)
    configure_logs(log_level, log_format, "scheduler", "%(asctime)s %(name)s %(levelname)s %(message)s")
    click.echo(f"scheduler on http://{host}:{port} (db {_redact(db_url)}, data {data_dir})"
               + (f"; dashboard http://{host}:{port}/dashboard" if dashboard else ""), err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level.lower(), access_log=False,
                log_config=uvicorn_log_config(log_format))


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command()
@click.option("--scheduler", "scheduler_url", required=True, envvar="XW_SCHEDULER",
              help="Scheduler URL; URL,URL for schedulers sharing one database (requests go to each in turn).")
@click.option("--private-key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File holding the worker's 0x-hex Ethereum key (or set XW_WORKER_PRIVATE_KEY; with "
                   "neither, the key in WORKDIR/worker.key, created the first time).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("xw-worker"),
              show_default=True, help="Job directories and the app/data cache.")
@click.option("--slots", default=1, show_default=True, help="Jobs run in parallel.")
@click.option("--cache-mb", default=1024, show_default=True, help="Cache size cap; least recently used goes first.")
@click.option("--shared-app", "shared", multiple=True,
              help="Shared app this worker provides: NAME (a command on PATH) or NAME=COMMAND. Repeatable.")
@click.option("--docker/--no-docker", default=True, show_default=True, help="Offer Docker apps if an engine answers.")
@click.option("--docker-host", envvar="DOCKER_HOST", help="The Docker engine to use, e.g. unix:///run/docker.sock.")
@click.option("--poll-interval", default=1.0, show_default=True, help="Seconds between pulls when idle.")
@click.option("--max-memory-mb", default=4096, show_default=True, help="Address-space limit per job.")
@click.option("--max-file-mb", default=1024, show_default=True, help="Largest file a job may write.")
@click.option("--max-processes", default=256, show_default=True, help="Processes and threads per job.")
@click.option("--unconfined", is_flag=True,
              help="Run jobs without confinement, with this worker's rights (it can read its key): only for apps "
                   "you trust. Without it the worker refuses to start where jobs cannot be confined.")
@click.option("--volunteer", is_flag=True,
              help="Compute only while the machine is idle: pause jobs while other processes use the CPU.")
@click.option("--idle-max-cpu", default=25.0, show_default=True,
              help="Volunteer: percent of the machine's CPU other processes may use while jobs run.")
@click.option("--owner-user", help="Volunteer: count only this user's processes as the owner's use.")
@click.option("--resume-after", default=10.0, show_default=True, help="Volunteer: quiet seconds before resuming.")
@click.option("--max-pause", default=600.0, show_default=True,
              help="Volunteer: seconds paused before the jobs are given back to the scheduler.")
@click.option("--log-level", default="info", show_default=True)
@log_format_option
@grid_errors
def worker(scheduler_url, private_key_file, workdir, slots, cache_mb, shared, docker, docker_host, poll_interval,
           max_memory_mb, max_file_mb, max_processes, unconfined, volunteer, idle_max_cpu, owner_user, resume_after,
           max_pause, log_level, log_format):
    """Work for a scheduler: pull jobs that fit this machine, run them, sign and upload results.

    A new worker without a key gets one, kept in WORKDIR/worker.key (readable by its owner
    only) and used again at every start: its address is the worker's identity on chain.

    \b
    Example:
        xw worker --scheduler http://127.0.0.1:8080 --slots 2
        XW_WORKER_PRIVATE_KEY=0x... xw worker --scheduler http://127.0.0.1:8080
        xw worker --scheduler http://127.0.0.1:8080 --volunteer --owner-user alice --max-pause 300
    """
    import shutil

    from eth_account import Account

    from ..worker.agent import Agent, WorkerConfig
    from ..worker.confine import Confinement, ConfinementUnavailable, Unconfined
    from ..worker.runner import Limits
    from ..worker.volunteer import IdlePolicy

    configure_logs(log_level, log_format, "worker", "%(asctime)s worker %(levelname)s %(message)s")
    key = _load_key(private_key_file, workdir)
    try:
        account = Account.from_key(key)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(f"invalid worker private key: {exc}") from None
    if unconfined:
        confinement = Unconfined()
        logging.getLogger("xw.worker").warning("jobs run UNCONFINED (--unconfined): they can read this worker's "
                                               "files and key")
    else:
        try:
            confinement = Confinement.probe(max_processes)
        except ConfinementUnavailable as exc:
            raise click.ClickException(f"cannot confine jobs on this machine: {exc}; install bubblewrap, or start "
                                       "with --unconfined to run only apps you trust") from None
    tools = {}
    for item in shared:
        name, _, command = item.partition("=")
        resolved = shutil.which(command or name) if name else None
        if resolved is None:  # declaring it would attract jobs this worker can only fail
            logging.getLogger("xw.worker").warning("not offering shared app %r: command %r not found",
                                                   item, command or name)
            continue
        tools[name] = resolved
    workdir.mkdir(parents=True, exist_ok=True)
    idle = IdlePolicy(max_other_cpu=idle_max_cpu / 100, owner_user=owner_user, resume_after=resume_after,
                      max_pause=max_pause) if volunteer else None
    agent = Agent(WorkerConfig(scheduler=scheduler_url, account=account, workdir=workdir.resolve(), slots=slots,
                               cache_mb=cache_mb, shared_apps=tools, poll_interval=poll_interval, docker=docker,
                               docker_host=docker_host,
                               limits=Limits(memory_mb=max_memory_mb, file_mb=max_file_mb),
                               confinement=confinement, idle=idle))
    signal.signal(signal.SIGTERM, lambda *_: agent.request_stop())
    reason = agent.run()
    if reason:
        raise click.ClickException(reason)


KEY_FILE = "worker.key"


def _load_key(path: Path | None, workdir: Path) -> str:
    """The key given (file, then environment), else the worker's own, created the first time."""
    if path is None and os.environ.get("XW_WORKER_PRIVATE_KEY"):
        return os.environ["XW_WORKER_PRIVATE_KEY"].strip()
    if path is None:
        path = workdir / KEY_FILE
        if not path.exists():
            _create_key(path)
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise click.ClickException(f"cannot read key file {path}: {exc.strerror}") from None


def _create_key(path: Path) -> None:
    from eth_account import Account

    account = Account.create()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # created readable by its owner only, and never over an existing key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise click.ClickException(f"cannot create key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as handle:
        handle.write("0x" + bytes(account.key).hex() + "\n")
    logging.getLogger("xw.worker").warning("new worker key in %s: address %s (stake this address to join a pool)",
                                           path, account.address)


@click.group()
def admin():
    """Administration straight on the database."""


@admin.command("create-user")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="Give the user admin rights.")
@click.option("--token", help="Use this token (16+ characters) instead of a random one.")
@click.option("--exist-ok", is_flag=True, help="If the user exists, keep it and give it this token.")
@click.option("--db", "db_url", default=DEFAULT_DB_URL, show_default=True, help="SQLAlchemy database URL.")
@grid_errors
def create_user(name, is_admin, token, exist_ok, db_url):
    """Create a user and print its API token (stored hashed: it is shown only now).

    \b
    Example:
        xw admin create-user alice --admin --db sqlite:///grid.db
        xw admin create-user oracle --admin --token "$(cat oracle.token)" --exist-ok   # the same, run again
    """
    from sqlmodel import Session

    from ..db import make_engine
    from ..scheduler.users import create_user as create

    engine = make_engine(db_url)
    with Session(engine) as session:
        _user, token = create(session, name=name, is_admin=is_admin, token=token, exist_ok=exist_ok)
    engine.dispose()
    click.echo(token)


COMMANDS = [scheduler, worker, admin]
