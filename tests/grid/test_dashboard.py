"""The public dashboard's JSON and /metrics of a real scheduler: what anyone may read shows the work
(workers, jobs, apps) and never a job's arguments, stdin, data, output or external id, a private app's
name, a user's name or token, or a worker's key. The pages themselves are tested in a browser
(tests/pages)."""

import json
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from .conftest import WORKER_KEYS
from .procs import BOB_TOKEN, TOKEN, finished, job_story, wait_until

SECRETS = {"arg": "s3cret-argument-7d1f", "stdin": "s3cret-stdin-90ab", "data": "s3cret-data-content-55e2",
           "data_name": "s3cret-data-name.txt", "external_id": "s3cret-external-id", "output": "s3cret-output-c4",
           "app": "s3cret-private-app"}
SCRIPT = """#!/usr/bin/env python3
import sys
print("s3cret-output-c4", sys.argv[1:], sys.stdin.read())
"""


def _app(tmp_path):
    script = tmp_path / "echoer.py"
    script.write_text(SCRIPT)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _metrics(url: str) -> dict:
    """Every sample of /metrics, parsed by the Prometheus client's own parser: (name, labels) -> value."""
    response = requests.get(url + "/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_dashboard_shows_the_work_and_no_secret(grid, db_url, tmp_path):
    scheduler = grid.start(db_url, lease=10.0, alive=10.0)
    worker = grid.worker(0, slots=2)
    script = _app(tmp_path)
    grid.alice.send_app("echoer", "x86_64", "linux", script)  # public
    bob = grid.bob
    bob.send_app(SECRETS["app"], "x86_64", "linux", script, access="private")
    data_file = tmp_path / SECRETS["data_name"]
    data_file.write_text(SECRETS["data"])
    data = bob.send_data(str(data_file))
    job = bob.submit(SECRETS["app"], [SECRETS["arg"]], stdin=SECRETS["stdin"], data=[data["uid"]],
                     external_id=SECRETS["external_id"])
    public_job = grid.alice.submit("echoer", ["hello"])
    for owner, uid in ((bob, job["uid"]), (grid.alice, public_job["uid"])):
        done = wait_until(lambda: finished(owner, uid), 120, what=f"job {uid}")
        assert done["status"] == "COMPLETED", job_story(owner, uid, [worker])

    response = requests.get(scheduler.url + "/api/v1/dashboard", timeout=10)  # no token
    assert response.status_code == 200
    body = response.text
    view = response.json()
    [shown] = view["workers"]
    assert shown["address"] == grid.address(0) and shown["status"] == "ALIVE" and shown["slots"] == 2
    assert shown["completed"] == 2 and not shown["blacklisted"]
    jobs = {j["uid"]: j for j in view["recent_jobs"]}
    assert jobs[job["uid"]]["app"] == "(private app)" and jobs[job["uid"]]["status"] == "COMPLETED"
    assert jobs[public_job["uid"]]["app"] == "echoer"
    assert jobs[job["uid"]]["replicates"] == {"VALID": 1}
    assert view["jobs_by_status"]["COMPLETED"] == 2
    assert sum(m["completed"] for m in view["throughput"]) == 2
    assert [a["name"] for a in view["apps"]] == ["echoer"] and view["private_apps"] == 1
    assert view["oracle"] == {"configured": False, "reachable": False, "error": None, "status": None}
    one = requests.get(f"{scheduler.url}/api/v1/dashboard/jobs/{job['uid']}", timeout=10)
    assert one.status_code == 200 and one.json()["status"] == "COMPLETED"
    for text in (body, one.text):
        for name, secret in SECRETS.items():
            assert secret not in text, f"the dashboard shows the job's {name}"
        for secret in (TOKEN, BOB_TOKEN, "bob", "alice", data["uid"], WORKER_KEYS[0][2:]):
            assert secret not in text
    assert requests.get(f"{scheduler.url}/api/v1/dashboard/jobs/nope", timeout=10).status_code == 404

    samples = _metrics(scheduler.url)
    assert samples[("cumulus_grid_jobs", (("status", "COMPLETED"),))] == 2
    assert samples[("cumulus_grid_workers", (("status", "ALIVE"),))] == 1
    assert samples[("cumulus_grid_slots_alive", ())] == 2
    assert samples[("cumulus_grid_queue_oldest_seconds", ())] == 0
    assert samples[("cumulus_grid_worker_request_duration_seconds_count", (("route", "pull"),))] >= 2
    # one report may carry both results
    assert samples[("cumulus_grid_worker_request_duration_seconds_count", (("route", "reports"),))] >= 1
    metrics_text = requests.get(scheduler.url + "/metrics", timeout=10).text
    assert all(secret not in metrics_text for secret in SECRETS.values())


def test_an_operator_turns_the_dashboard_and_metrics_off(grid, sqlite_url):
    scheduler = grid.start(sqlite_url, extra=("--no-dashboard", "--no-metrics"))
    for path in ("/dashboard", "/api/v1/dashboard", "/", "/metrics"):
        assert requests.get(scheduler.url + path, timeout=10).status_code == 404, path
    docs = requests.get(scheduler.url + "/docs", timeout=10)
    assert docs.status_code == 200 and "dashboard" in docs.text  # the API reference stays
    assert "/api/v1/dashboard" not in requests.get(scheduler.url + "/openapi.json", timeout=10).json()["paths"]


def test_pages_load_nothing_from_another_host(grid, sqlite_url):
    scheduler = grid.start(sqlite_url)
    for path in ("/dashboard", "/docs"):
        page = requests.get(scheduler.url + path, timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
        assert "//" not in page.text.replace("<!doctype html>", "")  # no absolute URL at all
    for name in ("dashboard.js", "docs.js", "pages.css"):
        asset = requests.get(f"{scheduler.url}/static/{name}", timeout=10)
        assert asset.status_code == 200 and "https://" not in asset.text and "http://" not in asset.text
    for bad in ("../main.py", "..%2Fmain.py", "dashboard.html", "%2e%2e%2fpages.py"):
        assert requests.get(f"{scheduler.url}/static/{bad}", timeout=10).status_code == 404


class _Hostile(BaseHTTPRequestHandler):
    """An oracle status that adds fields of its own, or is not a status at all."""

    body = b""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *_):
        pass


@pytest.fixture
def fake_oracle():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


STATUS = {"chain_id": 31337, "hub": "0x" + "11" * 20, "pool": 1, "head_block": 12, "cursor_block": 10,
          "blocks_behind": 2, "requested": 3, "in_flight": 1, "finalized": 2, "refunded": 0,
          "by_state": {"FINALIZED": 2, "DISPATCHED": 1}, "gas_spent": 300000, "rlc_earned": 1.5,
          "latency_blocks_p50": 3, "recent": []}


def test_the_dashboard_relays_only_a_valid_oracle_status(grid, sqlite_url, fake_oracle):
    url = f"http://127.0.0.1:{fake_oracle.server_address[1]}/status"
    scheduler = grid.start(sqlite_url, extra=("--oracle-status", url))
    _Hostile.body = json.dumps({**STATUS, "oracle_private_key": "0x" + "ab" * 32, "note": "<script>"}).encode()
    shown = wait_until(lambda: requests.get(scheduler.url + "/api/v1/dashboard", timeout=10).json()["oracle"], 30)
    assert shown["reachable"] and shown["status"]["finalized"] == 2 and shown["status"]["blocks_behind"] == 2
    assert "oracle_private_key" not in json.dumps(shown) and "<script>" not in json.dumps(shown)

    _Hostile.body = json.dumps({**STATUS, "finalized": -1}).encode()
    shown = wait_until(lambda: (o := requests.get(scheduler.url + "/api/v1/dashboard", timeout=10).json()["oracle"])
                       ["error"] and o, 30, what="the invalid status refused")
    assert not shown["reachable"] and shown["status"] is None and "not valid" in shown["error"]
    assert "\n" not in shown["error"]

    _Hostile.body = b"{" * (2 << 20)  # larger than any status
    shown = wait_until(lambda: (o := requests.get(scheduler.url + "/api/v1/dashboard", timeout=10).json()["oracle"])
                       ["error"] and "over" in o["error"] and o, 30, what="the oversized status refused")
    assert shown["status"] is None


def test_json_logs_are_one_object_per_line(grid, sqlite_url):
    scheduler = grid.start(sqlite_url, extra=("--log-format", "json", "--log-level", "info"))
    assert requests.get(scheduler.url + "/api/v1/jobs", timeout=10).status_code == 401
    scheduler.stop()
    lines = [line for line in scheduler.log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and all(r["service"] == "scheduler" and r["level"] and "time" in r for r in records)
    assert any(r["logger"].startswith("uvicorn") for r in records)  # the web server's lines too
    assert [line for line in lines if not line.startswith("{")] == [lines[0]]  # only the banner is text


def test_the_oracles_json_logs_carry_each_records_fields():
    program = ("import logging; from offchain_grid.logs import configure; configure('info', 'json', 'oracle', ''); "
               "logging.getLogger('oracle.tx').warning('resent %s', 'tx1', extra={'task_id': '0xab'})")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    [record] = [json.loads(line) for line in done.stderr.splitlines()]
    assert record["service"] == "oracle" and record["logger"] == "oracle.tx" and record["level"] == "WARNING"
    assert record["message"] == "resent tx1" and record["task_id"] == "0xab" and "time" in record
