"""Bad input gets a clear error and changes nothing, on both databases."""

import hashlib
import json
import os

import pytest
import requests

from offchain_grid.client import ClientError, GridClient

from .conftest import db_for, make_users
from .procs import BOB_TOKEN, TOKEN, Scheduler

MAX_UPLOAD_MB = 1


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"bad-input-{request.param}")
    db_url = db_for(request.param, request, tmp)
    make_users(db_url)
    scheduler = Scheduler(tmp, db_url, extra=("--max-upload-mb", str(MAX_UPLOAD_MB))).start()
    alice, bob = GridClient(scheduler.url, TOKEN), GridClient(scheduler.url, BOB_TOKEN)
    app = alice.send_app("ls", "x86_64", "linux", "/bin/ls")
    job = alice.submit("ls", ["-l"])
    yield scheduler, alice, bob, app, job, tmp
    scheduler.stop()


def state(alice: GridClient, tmp) -> tuple:
    """Everything a refused request could have changed."""
    blobs = sorted(p.name for p in (tmp / "blobs").rglob("*") if p.is_file())
    return (json.dumps(alice.get("/apps"), sort_keys=True), json.dumps(alice.get("/datas"), sort_keys=True),
            json.dumps(alice.get("/jobs"), sort_keys=True), blobs)


@pytest.fixture
def unchanged(served):
    _, alice, _, _, _, tmp = served
    before = state(alice, tmp)
    yield
    assert state(alice, tmp) == before


def refused(call, status: int, words: str) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(str(status)), message
    assert words.lower() in message.lower(), message
    assert "\n" not in message and "Traceback" not in message
    return message


def test_unknown_app(served, unchanged):
    _, alice, *_ = served
    refused(lambda: alice.submit("no-such-app", []), 404, "unknown app 'no-such-app'")


def test_duplicate_app_name(served, unchanged):
    _, alice, *_ = served
    refused(lambda: alice.send_app("ls", "x86_64", "linux", "/bin/ls"), 409, "already exists")


def test_oversized_upload(served, unchanged, tmp_path):
    _, alice, *_ = served
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(MAX_UPLOAD_MB * 1024 * 1024 + 100 * 1024))
    refused(lambda: alice.send_data(str(big)), 413, "exceeds the limit")


def test_checksum_of_upload_is_verified(served, unchanged, tmp_path):
    _, alice, *_ = served
    small = tmp_path / "small.txt"
    small.write_text("hello")
    refused(lambda: alice.send_data(str(small), checksum=hashlib.sha256(b"other").hexdigest()), 422, "not the announced")


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "a/b.txt", ".hidden", "..", "x\\..\\y"])
def test_path_traversal_file_names(served, unchanged, tmp_path, name):
    _, alice, *_ = served
    small = tmp_path / "small.txt"
    small.write_text("hello")
    refused(lambda: alice.send_data(str(small), name=name), 422, "not a plain file name")


def test_bad_app_uri_scheme(served, unchanged):
    _, alice, *_ = served
    refused(lambda: alice.send_app("evil", "x86_64", "linux", "ftp://host/x"), 422, "must use one of")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2", b'{"app": 5}', b'{"app": "ls", "replication": 0}',
                                  b'{"app": "ls", "onchain": {"chain_id": 1, "hub": "0x12", "task_id": "0x00"}}'])
def test_malformed_json(served, unchanged, body):
    scheduler, *_ = served
    response = requests.post(scheduler.url + "/api/v1/jobs", data=body,
                             headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("invalid request")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-000000000"},
                                     {"Authorization": "Basic abc"}])
def test_missing_or_wrong_token(served, unchanged, headers):
    scheduler, *_ = served
    for method, path in (("GET", "/jobs"), ("POST", "/jobs"), ("GET", "/apps"), ("DELETE", "/apps/ls")):
        response = requests.request(method, scheduler.url + "/api/v1" + path, headers=headers, json={"app": "ls"})
        assert response.status_code == 401, (method, path, response.text)
        assert "token" in response.json()["detail"]


def test_another_users_job(served, unchanged):
    _, alice, bob, _, job, _ = served
    refused(lambda: bob.job(job["uid"]), 404, "not found")
    refused(lambda: bob.post(f"/jobs/{job['uid']}/abort"), 404, "not found")
    refused(lambda: bob.result_archive(job["uid"]), 404, "not found")
    assert bob.get("/jobs") == []
    assert alice.job(job["uid"])["status"] == "PENDING"


def test_another_users_app_cannot_be_removed(served, unchanged):
    _, _, bob, app, _, _ = served
    refused(lambda: bob.request("DELETE", f"/apps/{app['uid']}"), 403, "belongs to another user")


def test_app_in_use_cannot_be_removed(served, unchanged):
    _, alice, _, app, _, _ = served
    refused(lambda: alice.request("DELETE", f"/apps/{app['uid']}"), 409, "unfinished job")


def test_private_data_is_invisible_to_others(served, tmp_path):
    _, alice, bob, *_ = served
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    data = alice.send_data(str(secret))
    try:
        refused(lambda: bob.get(f"/datas/{data['uid']}"), 404, "not found")
        refused(lambda: bob.submit("ls", [], data=[data["uid"]]), 404, "unknown data")
        assert data["uid"] not in [d["uid"] for d in bob.get("/datas")]
    finally:
        alice.request("DELETE", f"/datas/{data['uid']}")


def test_non_admin_cannot_create_users(served, unchanged):
    _, _, bob, *_ = served
    refused(lambda: bob.post("/users", {"name": "mallory", "is_admin": True}), 403, "admin")


def test_external_id_is_idempotent_and_per_owner(served):
    _, alice, bob, *_ = served
    first = alice.request("POST", "/jobs", json={"app": "ls", "external_id": "x-1"})
    second = alice.request("POST", "/jobs", json={"app": "ls", "external_id": "x-1"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["uid"] == second.json()["uid"]
    other = bob.request("POST", "/jobs", json={"app": "ls", "external_id": "x-1"})
    assert other.status_code == 201 and other.json()["uid"] != first.json()["uid"]
    for client, uid in ((alice, first.json()["uid"]), (bob, other.json()["uid"])):
        assert client.post(f"/jobs/{uid}/abort")["status"] == "ABORTED"


def test_batch_deduplicates_external_ids(served):
    _, alice, *_ = served
    refs = alice.submit_batch([{"app": "ls", "external_id": "b-1"}, {"app": "ls", "external_id": "b-1"}])
    assert [r["created"] for r in refs] == [True, False] and refs[0]["uid"] == refs[1]["uid"]
    again = alice.submit_batch([{"app": "ls", "external_id": "b-1"}])
    assert again[0]["uid"] == refs[0]["uid"] and not again[0]["created"]
    assert alice.post(f"/jobs/{refs[0]['uid']}/abort")["status"] == "ABORTED"


def test_batch_is_all_or_nothing(served, unchanged):
    _, alice, *_ = served
    refused(lambda: alice.submit_batch([{"app": "ls"}, {"app": "nope"}]), 404, "unknown app 'nope'")


def test_openapi_is_served(served):
    scheduler, *_ = served
    spec = requests.get(scheduler.url + "/openapi.json").json()
    assert "/api/v1/jobs" in spec["paths"] and "/api/v1/worker/pull" in spec["paths"]
