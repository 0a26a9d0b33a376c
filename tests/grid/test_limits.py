"""Limits apply before bytes are stored: declared and chunked bodies, uploads and worker reports, both databases."""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlparse

import pytest
import requests
from eth_account import Account

from offchain_grid.api.limits import report_limit
from offchain_grid.archive import pack_result
from offchain_grid.client import GridClient
from offchain_grid.worker.client import WorkerClient
from offchain_grid.worker.runner import sign_result

from .conftest import WORKER_KEYS, db_for, make_users
from .procs import TOKEN, Scheduler

MB = 1024 * 1024
LIMIT = report_limit(MB)  # of a report batch, with --max-result-mb 1


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"limits-{request.param}")
    db_url = db_for(request.param, request, tmp)
    make_users(db_url)
    spool = tmp / "spool"  # the scheduler's temporary directory: multipart parts land here first
    spool.mkdir()
    scheduler = Scheduler(tmp, db_url, extra=("--max-upload-mb", "1", "--max-result-mb", "1"),
                          env={"TMPDIR": str(spool)}).start()
    yield scheduler, GridClient(scheduler.url, TOKEN), tmp, spool
    scheduler.stop()


def nothing_stored(tmp, spool) -> bool:
    return not [p for p in (tmp / "blobs").rglob("*") if p.is_file()] and not list(spool.iterdir())


def raw(url: str, head: str, body_chunks=()) -> tuple[int, str]:
    """Send a request by hand (headers, then what we choose of the body) and read the answer."""
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking it all: what we test
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1].decode(errors="replace")


def test_declared_length_over_the_limit_is_refused_before_the_body(served):
    scheduler, _, tmp, spool = served
    head = (f"POST /api/v1/datas HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {2 * 1024 * MB}\r\n\r\n")
    status, body = raw(scheduler.url, head)  # no body at all: the answer must not wait for 2 GiB
    assert status == 413 and "exceeds the limit" in body, body
    assert nothing_stored(tmp, spool)


def _multipart_chunks(size: int):
    yield b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig.bin\r\n'
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n' \
          b'Content-Type: application/octet-stream\r\n\r\n'
    for _ in range(size // (64 * 1024)):
        yield os.urandom(64 * 1024)
    yield b"\r\n--b--\r\n"


@pytest.mark.parametrize("path", ["/api/v1/datas", "/api/v1/apps"])
def test_chunked_upload_is_cut_at_the_limit_and_nothing_stays(served, path):
    scheduler, client, tmp, spool = served
    response = requests.post(scheduler.url + path, data=_multipart_chunks(4 * MB), timeout=60,
                             headers={"Authorization": f"Bearer {TOKEN}",
                                      "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413, response.text
    assert "exceeds the limit" in response.json()["detail"]
    assert nothing_stored(tmp, spool)
    assert client.get("/datas") == [] and client.get("/apps") == []


def test_upload_form_of_many_fields_is_refused(served):
    scheduler, client, tmp, spool = served
    fields = b"".join(b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n%s\r\n' % (i, b"x" * 1000)
                      for i in range(200))
    response = requests.post(scheduler.url + "/api/v1/datas", data=fields + b"--b--\r\n", timeout=60,
                             headers={"Authorization": f"Bearer {TOKEN}",
                                      "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 400 and "Too many fields" in response.json()["detail"], response.text
    assert nothing_stored(tmp, spool)


def test_upload_under_the_limit_still_works(served, tmp_path):
    _, client, tmp, spool = served
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(MB // 2))
    data = client.send_data(str(small))
    assert client.request("GET", f"/datas/{data['uid']}/content").content == small.read_bytes()
    client.request("DELETE", f"/datas/{data['uid']}")
    assert nothing_stored(tmp, spool)


def _worker_session(scheduler, index: int) -> str:
    worker = WorkerClient(scheduler.url, Account.from_key(WORKER_KEYS[index]), shared_apps=[], slots=1,
                          stop=threading.Event())
    return worker.login()["token"]


def _report_chunks(archive_size: int):
    report = b'{"results": [{"replicate": "x", "result_digest": "0x' + b"0" * 64 + b'", "signature": "0x' + b"1" * 130 + \
        b'", "archive": "a0"}]}'
    yield b'--b\r\nContent-Disposition: form-data; name="report"\r\n\r\n' + report + b"\r\n"
    yield b'--b\r\nContent-Disposition: form-data; name="a0"; filename="x.tar"\r\n\r\n'
    for _ in range(archive_size // (64 * 1024)):
        yield os.urandom(64 * 1024)
    yield b"\r\n--b--\r\n"


def test_chunked_worker_report_is_cut_at_the_limit(served):
    scheduler, _, tmp, spool = served
    response = requests.post(scheduler.url + "/api/v1/worker/reports", data=_report_chunks(8 * MB), timeout=60,
                             headers={"Authorization": f"Bearer {_worker_session(scheduler, 4)}",
                                      "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413, response.text
    assert response.json()["detail"] == f"request body exceeds the limit of {LIMIT} bytes; it was not stored"
    assert nothing_stored(tmp, spool)


def test_oversized_archive_in_a_report_is_refused_and_not_kept(served, tmp_path):
    scheduler, client, tmp, spool = served  # under the body limit (2 MB), over the result limit (1 MB)
    client.send_app("echo-limits", "x86_64", "linux", "/bin/echo")
    job = client.submit("echo-limits", ["x"], max_retries=0)
    worker = WorkerClient(scheduler.url, Account.from_key(WORKER_KEYS[5]), shared_apps=[], slots=1,
                          stop=threading.Event())
    worker.login()
    [assignment] = worker.pull(1, [])["assignments"]
    archive = pack_result(os.urandom(3 * MB // 2), b"", 0, None)
    outcome = worker.report([sign_result(assignment, archive, b"", WORKER_KEYS[5])], [])
    assert outcome["rejected"] == [{"replicate": assignment["replicate"],
                                    "reason": f"result archive exceeds {MB} bytes"}]
    assert client.job(job["uid"])["status"] == "ERROR"
    client.request("DELETE", "/apps/echo-limits")
    assert nothing_stored(tmp, spool)


def test_report_not_in_multipart_is_refused(served):
    scheduler, *_ = served
    response = requests.post(scheduler.url + "/api/v1/worker/reports", json={"results": [], "failures": []},
                             headers={"Authorization": f"Bearer {_worker_session(scheduler, 4)}"}, timeout=60)
    assert response.status_code == 400 and "multipart/form-data" in response.json()["detail"]
    unauthenticated = requests.post(scheduler.url + "/api/v1/worker/reports", data=_report_chunks(MB), timeout=60,
                                    headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert unauthenticated.status_code == 401


def test_declared_report_over_the_limit_is_refused_at_once(served):
    scheduler, *_ = served
    head = (f"POST /api/v1/worker/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer whatever\r\n"
            f"Content-Type: application/json\r\nContent-Length: {512 * MB}\r\n\r\n")
    status, body = raw(scheduler.url, head)
    assert status == 413 and f"exceeds the limit of {LIMIT} bytes" in body
