"""Matching and the collector on a real SQLite database, in-process: cache preference, one vote per worker."""

import io

import pytest
from eth_account import Account
from sqlmodel import Session, select

from offchain_grid.archive import pack_result
from offchain_grid.db import make_engine
from offchain_grid.contribution import callback_data_hash
from offchain_grid.models import JobCreate, Replicate, ReportBatch, ResultUpload, Worker
from offchain_grid.scheduler import apps, collector, jobs, leases, matching, users
from offchain_grid.scheduler.settings import Settings
from offchain_grid.storage import BlobStore
from offchain_grid.worker.runner import sign_result

KEYS = ["0x" + f"{i:02x}" * 32 for i in range(0x41, 0x45)]


@pytest.fixture
def db(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    store = BlobStore(tmp_path / "blobs")
    settings = Settings(data_dir=tmp_path / "blobs", lease_seconds=30)
    with Session(engine, expire_on_commit=False) as session:
        owner, _ = users.create_user(session, name="owner")
        for name in ("first", "second"):
            apps.register_deployable(session, store, owner=owner, name=name, arch="x86_64", os_name="linux",
                                     stream=io.BytesIO(name.encode()), max_bytes=1000)
        workers = []
        for key in KEYS:
            worker = Worker(address=Account.from_key(key).address, arch="x86_64", os="linux")
            session.add(worker)
            workers.append(worker)
        session.commit()
        yield session, store, settings, owner, workers


def test_cached_app_is_preferred(db):
    session, _, settings, owner, workers = db
    older, newer = jobs.submit_jobs(session, owner, [JobCreate(app="first"), JobCreate(app="second")])
    second = apps.find_app(session, owner, "second")
    [got] = matching.pull(session, settings, workers[0], 1, {second.checksum})
    assert got["job"] == newer.uid
    [got] = matching.pull(session, settings, workers[1], 1, set())
    assert got["job"] == older.uid  # without a cache hit, oldest first


def test_never_two_replicates_of_one_job(db):
    session, _, settings, owner, workers = db
    [ref] = jobs.submit_jobs(session, owner, [JobCreate(app="first", replication=3)])
    assert len(matching.pull(session, settings, workers[0], 10, set())) == 1
    assert matching.pull(session, settings, workers[0], 10, set()) == []
    assert len(matching.pull(session, settings, workers[1], 10, set())) == 1


def test_wrong_platform_gets_nothing(db):
    session, _, settings, owner, workers = db
    jobs.submit_jobs(session, owner, [JobCreate(app="first")])
    workers[0].arch = "aarch64"
    assert matching.pull(session, settings, workers[0], 5, set()) == []


def report_of(store, upload: dict) -> tuple[ReportBatch, dict]:
    """A one-result batch and its archive staged in the store, as the report route hands them over."""
    staged = store.stage(1 << 20)
    staged.write(upload["archive"])
    return ReportBatch(results=[ResultUpload(**{**upload, "archive": "a0"})]), {"a0": staged}


def test_quorum_of_two_with_a_dissent(db, tmp_path):
    session, store, settings, owner, workers = db
    [ref] = jobs.submit_jobs(session, owner, [JobCreate(app="first", replication=2, max_retries=1)])
    (tmp_path / "empty").mkdir()
    outputs = [b"right", b"wrong", b"right"]
    for worker, key, out in zip(workers, KEYS, outputs):
        [assignment] = matching.pull(session, settings, worker, 1, set())
        upload = sign_result(assignment, pack_result(out, b"", 0, tmp_path / "empty"), b"", key)
        outcome = collector.receive(session, store, settings, worker.id, *report_of(store, upload))
        assert outcome["rejected"] == []
    view = jobs.job_public(session, [jobs.find_job(session, owner, ref.uid)])[0]
    assert view.status == "COMPLETED" and view.retries_used == 1
    assert {s.worker for s in view.result.signatures} == {workers[0].address, workers[2].address}
    assert [d.worker for d in view.result.dissents] == [workers[1].address]
    assert workers[1].blacklisted and not workers[0].blacklisted


def test_expired_lease_returns_the_replicate_to_the_queue(db):
    session, _, settings, owner, workers = db
    [ref] = jobs.submit_jobs(session, owner, [JobCreate(app="first", max_retries=1)])
    matching.pull(session, settings, workers[0], 1, set())
    short = Settings(data_dir=settings.data_dir, lease_seconds=-1)
    assert matching.pull(session, short, workers[1], 1, set()) == []  # nothing pending meanwhile
    leases.grant_restart_grace(session, short)  # renews to "now - 1": already expired
    assert leases.sweep(session, short)["lost"] == 1
    statuses = [r.status for r in jobs.replicate_views(session, jobs.find_job(session, owner, ref.uid))]
    assert statuses == ["LOST", "PENDING"]
    assert jobs.find_job(session, owner, ref.uid).status == "PENDING"
    [again] = matching.pull(session, settings, workers[1], 1, set())
    assert again["job"] == ref.uid


def test_results_of_a_blacklisted_worker_do_not_count(db, tmp_path):
    session, store, settings, owner, workers = db
    [ref] = jobs.submit_jobs(session, owner, [JobCreate(app="first", max_retries=1)])
    [assignment] = matching.pull(session, settings, workers[0], 1, set())
    workers[0].blacklisted, workers[0].blacklist_reason = True, "test"
    session.add(workers[0])
    session.commit()
    upload = sign_result(assignment, pack_result(b"x", b"", 0, None), b"", KEYS[0])
    outcome = collector.receive(session, store, settings, workers[0].id, *report_of(store, upload))
    assert outcome["accepted"] == [] and "blacklisted" in outcome["rejected"][0]["reason"]
    statuses = [r.status for r in jobs.replicate_views(session, jobs.find_job(session, owner, ref.uid))]
    assert statuses == ["FAILED", "PENDING"]
    assert matching.pull(session, settings, workers[0], 1, set()) == []


def _expire_all(session, settings):
    short = Settings(data_dir=settings.data_dir, lease_seconds=-1)
    leases.grant_restart_grace(session, short)  # renews to "now - 1": already expired
    return leases.sweep(session, short)


def test_lost_leases_draw_on_their_own_budget(db):
    session, _, settings, owner, workers = db
    [ref] = jobs.submit_jobs(session, owner, [JobCreate(app="first", max_retries=0, max_lost=2)])
    for worker in workers[:2]:
        assert len(matching.pull(session, settings, worker, 1, set())) == 1
        assert _expire_all(session, settings)["lost"] == 1
    job = jobs.find_job(session, owner, ref.uid)
    assert (job.status, job.retries_used, job.lost_used) == ("PENDING", 0, 2)  # max_retries=0 untouched
    matching.pull(session, settings, workers[2], 1, set())
    _expire_all(session, settings)
    job = jobs.find_job(session, owner, ref.uid)
    assert job.status == "ERROR" and "gave up after 2 replicate(s) lost with their workers (max_lost=2)" in job.error


def test_a_worker_logging_in_afresh_gives_back_its_leases_at_once(db):
    session, _, settings, owner, workers = db
    refs = jobs.submit_jobs(session, owner, [JobCreate(app="first"), JobCreate(app="second")])
    held = matching.pull(session, settings, workers[0], 2, set())
    kept = held[0]["replicate"]
    assert leases.release_on_login(session, workers[0], [kept]) == 1  # the other one died with the old process
    by_job = {ref.uid: [r.status for r in jobs.replicate_views(session, jobs.find_job(session, owner, ref.uid))]
              for ref in refs}
    assert by_job[held[0]["job"]] == ["RUNNING"]
    assert by_job[held[1]["job"]] == ["LOST", "PENDING"]
    [again] = matching.pull(session, settings, workers[1], 5, set())
    assert again["job"] == held[1]["job"]


def test_sweep_completes_a_quorum_nobody_counted(db, tmp_path):
    session, _, settings, owner, workers = db
    [ref] = jobs.submit_jobs(session, owner, [JobCreate(app="first", replication=2)])
    archive = pack_result(b"same", b"", 0, None)
    for worker, key in zip(workers[:2], KEYS):
        [assignment] = matching.pull(session, settings, worker, 1, set())
        upload = sign_result(assignment, archive, b"", key)
        rep = session.exec(select(Replicate).where(Replicate.uid == upload["replicate"])).one()
        # as a report whose vote counting was cut short would leave it: signed, DONE, uncounted
        rep.status, rep.result_digest, rep.signature = "DONE", upload["result_digest"], upload["signature"]
        rep.callback_data, rep.callback_data_hash = b"", "0x" + callback_data_hash(b"").hex()
        session.add(rep)
    session.commit()
    assert jobs.find_job(session, owner, ref.uid).status == "RUNNING"
    assert leases.sweep(session, settings)["counted"] == 1
    view = jobs.job_public(session, [jobs.find_job(session, owner, ref.uid)])[0]
    assert view.status == "COMPLETED" and {s.worker for s in view.result.signatures} == {w.address for w in workers[:2]}
    assert leases.sweep(session, settings)["counted"] == 0


def test_a_forged_signature_in_a_batch_refuses_it_alone(db, tmp_path):
    """Good results before a forged one count; the forged one is refused with its reason, and it is
    proof enough to blacklist its worker (its results after it no longer count)."""
    session, store, settings, owner, workers = db
    refs = jobs.submit_jobs(session, owner, [JobCreate(app="first") for _ in range(4)])
    assignments = matching.pull(session, settings, workers[0], 4, set())
    assert len(assignments) == 4
    archive = pack_result(b"ok", b"", 0, None)
    uploads = [sign_result(a, archive, b"", KEYS[0]) for a in assignments[:2]]
    uploads.append(sign_result(assignments[2], archive, b"", KEYS[1]))  # another worker's key
    uploads.append(sign_result(assignments[3], archive, b"", KEYS[0]))
    archives = {}
    for i, upload in enumerate(uploads):
        archives[f"a{i}"] = store.stage(1 << 20)
        archives[f"a{i}"].write(upload["archive"])
    batch = ReportBatch(results=[ResultUpload(**{**u, "archive": f"a{i}"}) for i, u in enumerate(uploads)])
    outcome = collector.receive(session, store, settings, workers[0].id, batch, archives)
    assert outcome["accepted"] == [a["replicate"] for a in assignments[:2]]
    reasons = {r["replicate"]: r["reason"] for r in outcome["rejected"]}
    assert reasons[assignments[2]["replicate"]] == f"signature is not by worker {workers[0].address}"
    assert reasons[assignments[3]["replicate"]].startswith("worker is blacklisted: forged or foreign signature")
    status = {ref.uid: jobs.find_job(session, owner, ref.uid).status for ref in refs}
    by_job = {a["job"]: status[a["job"]] for a in assignments}
    assert [by_job[a["job"]] for a in assignments] == ["COMPLETED", "COMPLETED", "PENDING", "PENDING"]
    assert session.get(Worker, workers[0].id).blacklisted
