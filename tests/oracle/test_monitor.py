"""The oracle's metrics port over a database of known rows, a real HTTP server and a chain that does
not answer: the counts are the rows', each finalized task is summed once however often it is
scraped, and a database that cannot be read is a one-line 503, not a dead port."""

from __future__ import annotations

import json

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlmodel import Session
from web3 import Web3

from offchain_grid.public import OracleStatus
from oracle.census import OracleCensus
from oracle.db import make_engine
from oracle.hub import REQUEST_FIELDS
from oracle.models import Cursor, TaskRecord, TxRecord
from oracle.monitor import Monitor
from oracle.txmanager import MINED, PENDING, REPLACED

from .conftest import wait_until

HUB = "0x" + "11" * 20
KEY = f"31337:{HUB}:1"
FINALIZED_ID, OPEN_ID = "0x" + "aa" * 32, "0x" + "bb" * 32


def _request(worker_pay: int, pool_fee: int) -> str:
    values = {name: 0 for name in REQUEST_FIELDS} | {"workerPay": worker_pay, "poolFee": pool_fee}
    return json.dumps([values[name] for name in REQUEST_FIELDS])


def _task(task_id: str, state: str, block: int, purpose: str | None = None, **fields) -> TaskRecord:
    return TaskRecord(task_id=task_id, state=state, request_json=fields.pop("request_json", _request(0, 0)),
                      params="secret params", block_number=block, block_hash="0x" + "00" * 32, deadline=0, trust=2,
                      tx_purpose=purpose, **fields)


def _tx(purpose: str, state: str, nonce: int, **fields) -> TxRecord:
    return TxRecord(sender=HUB, nonce=nonce, purpose=purpose, tx_hash="0x" + f"{nonce:064x}", raw="0x", gas=1,
                    max_fee=1, priority_fee=1, state=state, **fields)


@pytest.fixture
def monitor(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'oracle.db'}")
    with Session(engine) as session:
        session.add(Cursor(key=KEY, block=40))
        session.add(_task(FINALIZED_ID, "FINALIZED", 30, "finalize@35-abc", job_uid="job-1",
                          request_json=_request(6_000_000_000, 1_500_000_000)))
        session.add(_task("0x" + "cc" * 32, "FINALIZED", 31, "finalize@35-abc"))  # the same batch
        session.add(_task(OPEN_ID, "DISPATCHED", 38))
        session.add(_tx("finalize@35-abc", REPLACED, 1))
        session.add(_tx("finalize@35-abc", MINED, 2, attempts=2, block_number=36, gas_used=180_000, succeeded=True))
        session.add(_tx("report@39-def", PENDING, 3))
        session.commit()
    dead_chain = Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 1}))
    census = OracleCensus(engine, dead_chain, chain_id=31337, hub=HUB, pool=1, cursor_key=KEY)
    served = Monitor(census, "127.0.0.1", 0).start()
    yield served, engine
    served.stop()


def _samples(url: str) -> dict:
    response = requests.get(url + "/metrics", timeout=10)
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_metrics_count_the_rows_and_each_finalized_task_once(monitor):
    served, _engine = monitor
    for _ in range(3):  # scraped again and again: totals do not grow
        samples = _samples(served.url)
        assert samples[("cumulus_oracle_tasks", (("state", "FINALIZED"),))] == 2
        assert samples[("cumulus_oracle_tasks", (("state", "DISPATCHED"),))] == 1
        assert samples[("cumulus_oracle_transactions_sent_total", ())] == 3
        assert samples[("cumulus_oracle_transactions_resent_total", ())] == 1
        assert samples[("cumulus_oracle_transactions_mined_total", ())] == 1
        assert samples[("cumulus_oracle_transactions_pending", ())] == 1
        assert samples[("cumulus_oracle_gas_total", ())] == 180_000
        assert samples[("cumulus_oracle_pool_earned_rlc_total", ())] == 7.5
        assert samples[("cumulus_oracle_settle_latency_blocks_count", ())] == 2
        assert samples[("cumulus_oracle_settle_latency_blocks_sum", ())] == 6 + 5
        assert samples[("cumulus_oracle_settle_latency_blocks_bucket", (("le", "5.0"),))] == 1
        assert samples[("cumulus_oracle_settle_latency_blocks_bucket", (("le", "6.0"),))] == 2
        assert samples[("cumulus_oracle_chain_up", ())] == 0  # the chain does not answer: said, not hidden
        assert ("cumulus_oracle_blocks_behind", ()) not in samples


def test_status_and_task_views_hold_nothing_private(monitor):
    served, _engine = monitor
    body = requests.get(served.url + "/status", timeout=10).text
    status = OracleStatus.model_validate_json(body)
    assert (status.requested, status.in_flight, status.finalized, status.refunded) == (3, 1, 2, 0)
    assert status.cursor_block == 40 and status.head_block is None and status.rlc_earned == 7.5
    task = requests.get(f"{served.url}/tasks/{FINALIZED_ID}", timeout=10).json()
    assert task["settled_block"] == 36 and task["latency_blocks"] == 6 and task["gas"] == 180_000
    assert task["batch"] == 2 and task["job"] == "job-1"
    assert requests.get(f"{served.url}/tasks/{OPEN_ID}", timeout=10).json()["settled_block"] is None
    assert "secret params" not in body and "secret params" not in json.dumps(task)
    for path in (f"/tasks/0x{'dd' * 32}", "/tasks/0x12", "/nothing"):
        assert requests.get(served.url + path, timeout=10).status_code == 404


def test_an_unreadable_database_is_a_one_line_503_and_the_port_lives_on(monitor):
    served, engine = monitor
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE taskrecord RENAME TO taskrecord_away"))
    answers = []  # a 503 response is falsy: keep it aside
    wait_until(lambda: answers.append(requests.get(served.url + "/status", timeout=10)) or
               answers[-1].status_code == 503, 10, what="the census refreshed")
    assert answers[-1].json() == {"detail": "the oracle's state cannot be read now; retry"}
    assert requests.get(served.url + "/metrics", timeout=10).status_code == 503
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE taskrecord_away RENAME TO taskrecord"))
    wait_until(lambda: requests.get(served.url + "/metrics", timeout=10).status_code == 200, 10, what="recovery")
