"""Real processes for the oracle's tests: anvil on a free port, the scheduler and workers, the
oracle itself started with `oracle run`; each test module builds and stops its own."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from oracle.db import make_engine
from oracle.models import TaskRecord, TxRecord

from ..waiting import wait_until  # the oracle's tests import it from here

# apps written as `#!/usr/bin/env python3` must run with this interpreter and its packages
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

APPS = Path(__file__).parent / "apps"


def oracle_tasks(workdir: Path) -> dict[str, TaskRecord]:
    engine = make_engine(f"sqlite:///{workdir / 'oracle.db'}")
    with Session(engine) as session:
        return {t.task_id: t for t in session.exec(select(TaskRecord)).all()}


def oracle_txs(workdir: Path, purpose: str | None = None) -> list[TxRecord]:
    """The oracle's transactions for one purpose (a settlement batch), or all of them."""
    engine = make_engine(f"sqlite:///{workdir / 'oracle.db'}")
    query = select(TxRecord) if purpose is None else select(TxRecord).where(TxRecord.purpose == purpose)
    with Session(engine) as session:
        return list(session.exec(query.order_by(TxRecord.id)).all())


def task_state(workdir: Path, task_id: bytes) -> str | None:
    task = oracle_tasks(workdir).get("0x" + task_id.hex())
    return task.state if task else None


def events(net, name: str, task_id: bytes) -> list:
    hub = net.contract("Hub")
    return getattr(hub.events, name)().get_logs(from_block=net.deployment.start_block,
                                              argument_filters={"taskId": task_id})


def dump_logs(workdir: Path) -> str:
    parts = []
    for log in sorted(workdir.rglob("*.log")):
        parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
    return "\n".join(parts)


@pytest.fixture
def keep_logs_on_failure(request):
    """Prints the processes' logs when the test failed, so a CI failure can be read."""
    holder = {}
    yield holder
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "workdir" in holder:
        print(dump_logs(holder["workdir"]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def json_result(task: TaskRecord) -> dict:
    return json.loads(task.result_json)
