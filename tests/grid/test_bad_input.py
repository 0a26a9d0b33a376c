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


@pytest.mark.parametrize("method, path, kwargs", [
    ("GET", "/jobs?status=%00", {}),
    ("GET", "/jobs/%00abc", {}),
    ("GET", "/apps/ls%00", {}),
    ("GET", "/datas?checksum=ab%00", {}),
    ("GET", "/jobs?limit=-1", {}),
    ("GET", "/jobs?limit=0", {}),
    ("GET", "/jobs?limit=99999999999999999999999", {}),
    ("GET", "/jobs?offset=-5", {}),
    ("GET", "/jobs?offset=9223372036854775808", {}),
    ("GET", "/jobs?limit=ten", {}),
    ("POST", "/jobs", {"json": {"app": "ls\u0000"}}),
    ("POST", "/jobs", {"json": {"app": "ls", "stdin": "a\u0000b"}}),
    ("POST", "/jobs", {"json": {"app": "ls", "external_id": "x\u0000"}}),
    ("POST", "/jobs", {"json": {"app": "ls", "data": ["\u0000"]}}),
    ("POST", "/jobs", {"json": {"app": "ls", "args": ["\u0000"]}}),
    ("POST", "/jobs/batch", {"json": {"jobs": [{"app": "ls", "stdin": "\u0000"}]}}),
    ("POST", "/users", {"json": {"name": "eve\u0000"}}),
    ("POST", "/apps", {"data": {"name": "nul\u0000app", "type": "SHARED"}}),
    ("POST", "/apps", {"data": {"name": "docker-nul", "type": "SHARED", "image": "busybox\u0000"}}),
    ("POST", "/apps", {"data": {"name": "uri-nul", "arch": "x86_64", "os": "linux", "uri": "http://x/\u0000"}}),
    ("POST", "/datas", {"data": {"name": "d.txt", "uri": "http://x/\u0000"}}),
])
def test_nul_characters_and_paging_values_are_4xx(served, unchanged, method, path, kwargs):
    scheduler, *_ = served
    response = requests.request(method, scheduler.url + "/api/v1" + path, timeout=30,
                                headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail


@pytest.mark.parametrize("name", ["0b7c4f1e-1111-4a2b-9c3d-5e6f7a8b9c0d", "0B7C4F1E11114A2B9C3D5E6F7A8B9C0D",
                                  " 0b7c4f1e-1111-4a2b-9c3d-5e6f7a8b9c0d ", "tab\tname", "zero\u200bwidth"])
def test_app_names_cannot_pass_for_uids_or_hide_characters(served, unchanged, name):
    _, alice, *_ = served
    message = refused(lambda: alice.send_app(name, "x86_64", "linux", "/bin/ls"), 422, "invalid app name")
    assert "uid" in message or "control or invisible" in message


def test_an_app_named_after_another_apps_uid_is_refused_and_uids_win(served, unchanged):
    _, alice, bob, app, _, _ = served
    refused(lambda: bob.send_app(app["uid"], "x86_64", "linux", "/bin/echo"), 422, "looks like a uid")
    assert bob.get(f"/apps/{app['uid']}")["name"] == "ls"  # a uid is looked up as a uid first


def test_data_names_cannot_pass_for_uids(served, unchanged, tmp_path):
    _, alice, *_ = served
    small = tmp_path / "small.txt"
    small.write_text("hello")
    refused(lambda: alice.send_data(str(small), name="0b7c4f1e-1111-4a2b-9c3d-5e6f7a8b9c0d"), 422, "looks like a uid")


def test_removing_data_keeps_content_others_refer_to(served, tmp_path):
    """Bob uploads the very bytes of Alice's data and of her app, then removes his copy: hers stay."""
    _, alice, bob, app, _, tmp = served
    content = tmp_path / "shared.bin"
    content.write_bytes(b"the same bytes for everyone\n")
    mine = alice.send_data(str(content), name="mine.bin")
    theirs = bob.send_data(str(content), name="theirs.bin")
    app_copy = bob.send_data("/bin/ls", name="ls-copy")
    for data in (theirs, app_copy):
        bob.request("DELETE", f"/datas/{data['uid']}")
    assert alice.request("GET", f"/datas/{mine['uid']}/content").content == content.read_bytes()
    assert alice.request("GET", f"/apps/{app['uid']}/file").content == open("/bin/ls", "rb").read()
    alice.request("DELETE", f"/datas/{mine['uid']}")
    assert not (tmp / "blobs" / mine["checksum"][:2] / mine["checksum"]).exists()  # the last reference went
