"""Result collector: checks each upload's digest and EIP-712 signature, then lets the quorum decide."""

from __future__ import annotations

import base64
import binascii
import hashlib

from sqlmodel import Session, select

from ..contribution import callback_data_hash, recover_contributor
from ..errors import InvalidTransition
from ..models import FailureReport, Job, Replicate, ReportBatch, ResultUpload, Worker
from ..statuses import ReplicateEvent, ReplicateStatus
from ..storage import BlobStore
from .lifecycle import blacklist, move_replicate, settle
from .matching import signing_target
from .settings import Settings

MAX_CALLBACK_BYTES = 1024


class Rejected(Exception):
    """One report in a batch was refused; the others still count."""

    def __init__(self, reason: str, *, worker_fault: bool = False, blacklist_now: bool = False):
        super().__init__(reason)
        self.worker_fault = worker_fault  # counts toward the worker's failure streak
        self.blacklist_now = blacklist_now  # proof of misbehaviour, not bad luck


def receive(session: Session, store: BlobStore, settings: Settings, worker: Worker, batch: ReportBatch) -> dict:
    """Apply a batch of results and failures; {"accepted": [uids], "rejected": [{replicate, reason}]}."""
    accepted, rejected = [], []
    for item in [*batch.results, *batch.failures]:
        try:
            if isinstance(item, ResultUpload):
                _accept_result(session, store, settings, worker, item)
            else:
                _accept_failure(session, settings, worker, item)
            accepted.append(item.replicate)
        except Rejected as exc:
            rejected.append({"replicate": item.replicate, "reason": str(exc)})
    session.add(worker)
    session.commit()
    return {"accepted": accepted, "rejected": rejected}


def _held_replicate(session: Session, worker: Worker, uid: str) -> tuple[Replicate, Job]:
    row = session.exec(select(Replicate, Job).join(Job, Job.id == Replicate.job_id)
                       .where(Replicate.uid == uid)).first()
    if row is None or row[0].worker_id != worker.id:
        raise Rejected(f"replicate {uid} is not leased to this worker")
    rep, job = row
    if rep.status != ReplicateStatus.RUNNING.value:
        raise Rejected(f"replicate {uid} is {rep.status}, no longer expecting a report")
    return rep, job


def _accept_result(session: Session, store: BlobStore, settings: Settings, worker: Worker, up: ResultUpload):
    rep, job = _held_replicate(session, worker, up.replicate)
    try:
        archive = _verify(settings, worker, job, rep, up)
    except Rejected as exc:
        _fail(session, settings, worker, rep, job, str(exc), exc)
        raise
    store.put_bytes(archive)  # content-addressed: the digest is the blob's name
    move_replicate(rep, ReplicateEvent.UPLOAD)
    session.add(rep)
    settle(session, job)


def _verify(settings: Settings, worker: Worker, job: Job, rep: Replicate, up: ResultUpload) -> bytes:
    """The archive bytes once digest, callback size and signature check out; fills the replicate's vote."""
    try:
        archive = base64.b64decode(up.archive, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("result archive is not valid base64", worker_fault=True) from None
    if len(archive) > settings.max_result_bytes:
        raise Rejected(f"result archive exceeds {settings.max_result_bytes} bytes", worker_fault=True)
    digest = "0x" + hashlib.sha256(archive).hexdigest()
    if digest != up.digest.lower():
        raise Rejected(f"archive sha256 {digest} differs from the announced digest", worker_fault=True)
    callback = bytes.fromhex(up.callback_data[2:])
    if len(callback) > MAX_CALLBACK_BYTES:
        raise Rejected(f"callback data exceeds {MAX_CALLBACK_BYTES} bytes", worker_fault=True)
    cb_hash = callback_data_hash(callback)
    domain, task_id = signing_target(job)
    try:
        signer = recover_contributor(domain, task_id, digest, cb_hash, up.signature)
    except Exception:  # a malformed signature raises assorted errors from the crypto backends
        signer = None
    if signer != worker.address:
        raise Rejected(f"signature is not by worker {worker.address}", worker_fault=True, blacklist_now=True)
    rep.digest, rep.callback_data, rep.callback_data_hash = digest, callback, "0x" + cb_hash.hex()
    rep.signature = up.signature.lower()
    return archive


def _accept_failure(session: Session, settings: Settings, worker: Worker, report: FailureReport):
    rep, job = _held_replicate(session, worker, report.replicate)
    _fail(session, settings, worker, rep, job, report.reason, None)


def _fail(session, settings: Settings, worker: Worker, rep: Replicate, job: Job, reason: str, exc) -> None:
    try:
        move_replicate(rep, ReplicateEvent.FAIL, reason)
    except InvalidTransition as err:
        raise Rejected(str(err)) from None
    worker.consecutive_failures += 1
    if exc is not None and exc.blacklist_now:
        blacklist(worker, f"forged or foreign signature on job {job.uid}")
    elif worker.consecutive_failures >= settings.max_worker_failures:
        blacklist(worker, f"{worker.consecutive_failures} consecutive failures; last: {reason}")
    session.add_all([rep, worker])
    settle(session, job, last_failure=reason)
