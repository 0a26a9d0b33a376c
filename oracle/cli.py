"""`oracle run` and `oracle status`: one command to serve a pool on any network."""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

import click
import requests
from sqlalchemy.exc import SQLAlchemyError
from eth_account import Account
from sqlmodel import Session, col, select
from web3 import Web3

from offchain_grid.logs import configure as configure_logs
from offchain_grid.logs import log_format_option

from .deployment import Deployment
from .errors import OracleError
from .networks import rpc_url as rpc_url_of

DEFAULT_DB = "sqlite:///oracle.db"


def oracle_errors(command):
    """Library errors become one clear line and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (OracleError, OSError, ValueError, SQLAlchemyError) as exc:
            raise click.ClickException(str(exc).splitlines()[0]) from None
        except requests.RequestException as exc:
            raise click.ClickException(f"cannot reach the chain or the scheduler: {exc}") from None
        except ImportError as exc:  # e.g. the driver of a database URL's scheme
            raise click.ClickException(f"missing Python module {exc.name!r}: {exc}") from None

    return wrapper


@click.group()
def main():
    """The oracle: serves a pool's paid on-chain requests with the grid."""


@main.command()
@click.option("--network", default="development", show_default=True, help="A brownie network id.")
@click.option("--rpc-url", envvar="CUMULUS_RPC_URL", help="JSON-RPC URL (overrides --network's host).")
@click.option("--deployment", "deployment_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Deployment file (default: deployments/<network>.json).")
@click.option("--pool", type=int, help="Pool id (default: the deployment's pool).")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="The pool's oracle key (or set ORACLE_PRIVATE_KEY).")
@click.option("--db", "db_url", default=DEFAULT_DB, show_default=True, help="SQLAlchemy URL of the oracle's state.")
@click.option("--scheduler", envvar="XW_SERVER", help="Scheduler URL (with --grid-token).")
@click.option("--grid-token", envvar="XW_TOKEN", help="API token on the scheduler.")
@click.option("--embedded-grid", is_flag=True, help="Start a scheduler and workers here instead.")
@click.option("--workers", default=3, show_default=True, help="Workers of the embedded grid.")
@click.option("--worker-keys-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Embedded grid: one 0x key per line, the pool's staked workers.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("var/oracle"),
              show_default=True, help="Embedded grid's files.")
@click.option("--confirmations", default=1, show_default=True)
@click.option("--poll-interval", default=1.0, show_default=True)
@click.option("--stuck-after", default=12.0, show_default=True, help="Seconds before a transaction is resent.")
@click.option("--order-book", envvar="CUMULUS_ORDER_BOOK",
              help="Order book URL: publish the pool's orders there, as its alive workers can deliver them.")
@click.option("--order-lifetime", default=600, show_default=True, help="Seconds each pool order is valid.")
@click.option("--match-requests/--no-match-requests", default=True, show_default=True,
              help="With --order-book: match the book's request orders the pool can serve.")
@click.option("--metrics-port", type=click.IntRange(0, 65535),
              help="Serve Prometheus metrics (/metrics) and the public status (/status, /tasks/<id>) on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address of the metrics port.")
@log_format_option
@oracle_errors
def run(network, rpc_url, deployment_file, pool, key_file, db_url, scheduler, grid_token, embedded_grid, workers,
        worker_keys_file, workdir, confirmations, poll_interval, stuck_after, order_book, order_lifetime, match_requests,
        metrics_port, metrics_host, log_format):
    """Follow the pool's requests, run them on the grid, finalize them on chain.

    \b
    Example:
        ORACLE_PRIVATE_KEY=0x... oracle run --network development --embedded-grid --workers 3
        ORACLE_PRIVATE_KEY=0x... oracle run --network cumulus-live --scheduler http://grid:8080 --grid-token T \
            --metrics-port 9101 --log-format json
    """
    from offchain_grid.client import GridClient

    from .db import make_engine
    from .hub import RevertExplainer
    from .service import Oracle, OracleSettings
    from .startup import check_grid, check_pool_oracle
    from .txmanager import TransactionManager

    configure_logs("info", log_format, "oracle", "%(asctime)s %(name)s %(levelname)s %(message)s")
    key = key_file.read_text().strip() if key_file else os.environ.get("ORACLE_PRIVATE_KEY")
    if not key:
        raise click.ClickException("no oracle key: use --key-file or set ORACLE_PRIVATE_KEY")
    account = Account.from_key(key)
    deployment = Deployment.read(deployment_file) if deployment_file else Deployment.load(network)
    pool = pool or deployment.pool
    if not pool:
        raise click.ClickException("no pool: pass --pool or record one in the deployment")
    url = rpc_url_of(network, rpc_url)
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    if not w3.is_connected():
        raise click.ClickException(f"cannot reach the chain at {url}")
    deployment.check(w3, url)
    check_pool_oracle(w3, deployment.hub, pool, account.address)
    grid_handle = None
    if embedded_grid:
        from .embedded import start_grid

        keys = worker_keys_file.read_text().split() if worker_keys_file else _dev_worker_keys(network, rpc_url, workers)
        if len(keys) < workers:
            raise click.ClickException(f"--embedded-grid needs {workers} worker keys in --worker-keys-file")
        status = f"http://{metrics_host}:{metrics_port}/status" if metrics_port else None
        grid_handle = start_grid(workdir, keys[:workers], oracle_status_url=status)
        grid = grid_handle.client()
        click.echo(f"embedded grid at {grid_handle.url} with {workers} workers; "
                   f"XW_SERVER={grid_handle.url} XW_TOKEN={grid_handle.token}", err=True)
    elif scheduler:
        grid = GridClient(scheduler, grid_token)
    else:
        raise click.ClickException("give --scheduler URL (and --grid-token) or --embedded-grid")
    monitor = None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        check_grid(grid)
        engine = make_engine(db_url)
        tx = TransactionManager(w3, account, engine, stuck_after=stuck_after, explain_revert=RevertExplainer("Hub"),
                                confirmations=confirmations)
        pool_orders = None
        if order_book:
            from orderbook.client import BookClient

            from .hub import hub_contract
            from .pool_orders import OrderPolicy, PoolOrders

            pool_orders = PoolOrders(w3, hub_contract(w3, deployment.hub), pool, account, BookClient(order_book), grid,
                                     tx, OrderPolicy(lifetime=order_lifetime, match_requests=match_requests))
        oracle = Oracle(w3, deployment, pool, account, engine, grid,
                        OracleSettings(confirmations=confirmations, poll_interval=poll_interval), tx=tx,
                        pool_orders=pool_orders)
        if metrics_port is not None:
            monitor = _start_monitor(engine, url, deployment, pool, oracle.listener.key, metrics_host, metrics_port)
        oracle.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        if monitor:
            monitor.stop()
        if grid_handle:
            grid_handle.stop()


def _start_monitor(engine, rpc_url: str, deployment: Deployment, pool: int, cursor_key: str, host: str, port: int):
    """The metrics port, or None when it cannot listen: serving the pool matters more than being watched."""
    from .census import OracleCensus
    from .monitor import Monitor

    census = OracleCensus(engine, Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 5})),
                          chain_id=deployment.chain_id, hub=deployment.hub, pool=pool, cursor_key=cursor_key)
    try:
        monitor = Monitor(census, host, port).start()
    except OSError as exc:
        logging.getLogger("oracle").error("no metrics: cannot listen on %s:%d: %s", host, port, exc.strerror)
        return None
    click.echo(f"oracle metrics at {monitor.url}/metrics, status at {monitor.url}/status", err=True)
    return monitor


def _dev_worker_keys(network: str, rpc_url: str | None, count: int) -> list[str]:
    """On a local dev chain, the dev keys the set-up scripts staked as workers."""
    if rpc_url or network not in ("development", "anvil"):
        return []
    from .devchain import dev_keys

    return ["0x" + bytes(k.key).hex() for k in dev_keys(5 + count)[5:]]


@main.command()
@click.option("--db", "db_url", default=DEFAULT_DB, show_default=True,
              help="The database `oracle run` uses; it is read, never created.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@oracle_errors
def status(db_url, as_json):
    """Show the cursor, the tasks in flight with their state and age, and the last errors.

    \b
    Example:
        oracle status --db sqlite:///oracle.db
    """
    from .db import make_engine, sqlite_file
    from .models import Cursor, ErrorLog, TaskRecord
    from .task_states import OPEN

    path = sqlite_file(db_url)
    if path is not None and not path.is_file():
        raise click.ClickException(f"no oracle database at {path}: give --db the URL `oracle run` uses")
    engine = make_engine(db_url)
    now = time.time()
    with Session(engine) as session:
        cursors = [{"key": c.key, "block": c.block} for c in session.exec(select(Cursor)).all()]
        tasks = session.exec(select(TaskRecord).order_by(col(TaskRecord.created_at).desc()).limit(200)).all()
        errors = session.exec(select(ErrorLog).order_by(col(ErrorLog.id).desc()).limit(10)).all()
    in_flight = [t for t in tasks if t.state in {s.value for s in OPEN}]
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task.state] = counts.get(task.state, 0) + 1
    if as_json:
        click.echo(json.dumps({
            "cursors": cursors, "counts": counts,
            "in_flight": [{"task_id": t.task_id, "state": t.state, "age_seconds": round(now - t.created_at),
                           "held": t.held, "job": t.job_uid, "reason": t.reason} for t in in_flight],
            "errors": [{"at": e.at, "task_id": e.task_id, "message": e.message} for e in errors],
        }, indent=2))
        return
    for cursor in cursors:
        click.echo(f"cursor {cursor['key']}: block {cursor['block']}")
    click.echo("tasks: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    for task in in_flight:
        held = " (held: reorged)" if task.held else ""
        reason = f"  reason: {task.reason}" if task.reason else ""
        click.echo(f"  {task.task_id[:18]}  {task.state:<11} {now - task.created_at:>6.0f}s  "
                   f"job {task.job_uid or '-'}{held}{reason}")
    if errors:
        click.echo("last errors:")
        for error in errors:
            click.echo(f"  {time.strftime('%H:%M:%S', time.localtime(error.at))} {(error.task_id or '')[:10]} {error.message[:200]}")


if __name__ == "__main__":
    main()
