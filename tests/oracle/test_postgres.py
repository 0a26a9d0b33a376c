"""The oracle keeps its state in PostgreSQL when given a URL, as the scheduler can."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlmodel import Session, select

from oracle import localnet
from oracle.db import make_engine
from oracle.localnet import start_oracle
from oracle.models import Cursor, TaskRecord
from tests.grid.postgres import Postgres

from .conftest import APPS, events, wait_until


def test_oracle_state_in_postgresql(tmp_path):
    postgres = Postgres().start()
    net = None
    oracle = None
    try:
        url = postgres.new_database()
        net = localnet.build(tmp_path, workers=1, trust=1, block_time=None)
        app = net.add_app("answer", APPS / "answer.py")
        oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2", "--db", url)
        task_id, _request, _receipt = net.request(app, trust=1)
        wait_until(lambda: events(net, "TaskFinalized", task_id), 60, what="TaskFinalized")
        with Session(make_engine(url)) as session:
            wait_until(lambda: session.get(TaskRecord, "0x" + task_id.hex()).state == "FINALIZED", 20,
                       what="FINALIZED in PostgreSQL")
            session.expire_all()
            assert session.exec(select(Cursor)).one().block >= net.deployment.start_block
        status = subprocess.run([sys.executable, "-m", "oracle.cli", "status", "--db", url, "--json"],
                                capture_output=True, text=True, timeout=60)
        assert json.loads(status.stdout)["counts"] == {"FINALIZED": 1}
        assert not (tmp_path / "oracle.db").exists()
    finally:
        if oracle:
            oracle.terminate()
            oracle.wait(10)
        if net:
            net.stop()
        postgres.stop()
