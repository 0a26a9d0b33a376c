"""Result collector: checks each upload's digest and EIP-712 signature, then lets the quorum decide.

A report batch is loaded in three queries (the jobs of its replicates, locked; all replicates of
those jobs; their workers, locked) and written in one commit: the collector is the scheduler's
hot path, and the locks make concurrent reports for one job count every vote.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlmodel import Session

from ..archive import check_result_archive
from ..contribution import callback_data_hash, signed_by
from ..errors import GridError, Unauthorized
from ..models import FailureReport, Job, Replicate, ReportBatch, ResultUpload, Worker
from ..statuses import ReplicateEvent, ReplicateStatus
from ..storage import BlobStore, Staged
from .blobs import hold_for_storing
from .discard import discard_blacklisted
from .lifecycle import blacklist, count_votes, lock_jobs_of, lock_workers, move_replicate, replicates_by_job
from .matching import signing_target
from .settings import Settings

MAX_CALLBACK_BYTES = 1024
CANONICAL_REMEMBERED = 4096  # archive digests known canonical, most recent first


class _KnownCanonical:
    """Digests of archives already checked canonical. Bytes with a sha256 seen before are those bytes,
    so agreeing replicates (identical archives, the point of a quorum) are parsed once, not once each."""

    def __init__(self, size: int):
        self.size, self._digests, self._lock = size, OrderedDict(), threading.Lock()

    def __contains__(self, digest: str) -> bool:
        with self._lock:
            if digest in self._digests:
                self._digests.move_to_end(digest)
                return True
            return False

    def add(self, digest: str) -> None:
        with self._lock:
            self._digests[digest] = None
            if len(self._digests) > self.size:
                self._digests.popitem(last=False)


_CANONICAL = _KnownCanonical(CANONICAL_REMEMBERED)


class Rejected(Exception):
    """One report in a batch was refused; the others still count."""

    def __init__(self, reason: str, *, blacklist_now: bool = False):
        super().__init__(reason)
        self.blacklist_now = blacklist_now  # proof of misbehaviour, not bad luck


class _Batch:
    """Rows a report batch touches: its jobs locked, then their replicates and workers read afresh."""

    def __init__(self, session: Session, worker_id: int, uids: list[str]):
        jobs = lock_jobs_of(session, uids)
        self.reps = replicates_by_job(session, jobs)
        wanted = set(uids)
        self.held = {rep.uid: (rep, jobs[rep.job_id]) for reps in self.reps.values() for rep in reps
                     if rep.uid in wanted}
        worker_ids = {r.worker_id for reps in self.reps.values() for r in reps if r.worker_id is not None}
        self.workers = lock_workers(session, worker_ids | {worker_id})  # the reporting worker too


def receive(session: Session, store: BlobStore, settings: Settings, worker_id: int, batch: ReportBatch,
            archives: dict[str, Staged], session_hash: str | None = None, commit: bool = True) -> dict:
    """Apply worker `worker_id`'s batch of results and failures; {"accepted": [uids], "rejected":
    [{replicate, reason}]}. `archives` holds the result archives received, by the name each result
    gives; the ones accepted are moved into the blob store (the caller discards the others).

    With `session_hash`, the worker's session is checked on its locked row before anything is
    applied. Without `commit`, the caller commits (unless this batch blacklisted its worker)."""
    accepted, rejected, used = [], [], set()
    with session.no_autoflush:
        items = [*batch.results, *batch.failures, *batch.returns]
        returned = {id(item) for item in batch.returns}
        rows = _Batch(session, worker_id, [item.replicate for item in items])
        worker = rows.workers.get(worker_id)
        if worker is None or (session_hash is not None and worker.session_hash != session_hash):
            session.rollback()
            raise Unauthorized("invalid worker session; log in again")
        already = {w.id for w in rows.workers.values() if w.blacklisted}
        for item in items:
            try:
                if isinstance(item, ResultUpload):
                    archive = None if item.archive in used else archives.get(item.archive)
                    used.add(item.archive)
                    _accept_result(session, store, settings, worker, rows, item, archive)
                elif id(item) in returned:
                    _accept_return(session, worker, rows, item)
                else:
                    _accept_failure(session, settings, worker, rows, item)
                accepted.append(item.replicate)
            except Rejected as exc:
                rejected.append({"replicate": item.replicate, "reason": str(exc)})
    session.add(worker)
    newly_blacklisted = {w.id for w in rows.workers.values() if w.blacklisted} - already
    if commit or newly_blacklisted:
        session.commit()
        discard_blacklisted(session, newly_blacklisted)
    else:
        session.flush()  # what the caller reads next on the connection sees this batch applied
    return {"accepted": accepted, "rejected": rejected}


def _held(worker: Worker, rows: _Batch, uid: str) -> tuple[Replicate, Job]:
    rep, job = rows.held.get(uid, (None, None))
    if rep is None or rep.worker_id != worker.id:
        raise Rejected(f"replicate {uid} is not leased to this worker")
    if rep.status != ReplicateStatus.RUNNING.value:
        raise Rejected(f"replicate {uid} is {rep.status}, no longer expecting a report")
    return rep, job


def _accept_result(session, store: BlobStore, settings: Settings, worker: Worker, rows: _Batch, up: ResultUpload,
                   archive: Staged | None):
    rep, job = _held(worker, rows, up.replicate)
    if worker.blacklisted:  # its results no longer count; the replicate goes to another worker
        move_replicate(rep, ReplicateEvent.FAIL, "worker is blacklisted")
        session.add(rep)
        count_votes(session, job, last_failure="worker is blacklisted", reps=rows.reps[job.id], workers=rows.workers,
               lost=True)
        raise Rejected(f"worker is blacklisted: {worker.blacklist_reason}")
    try:
        _verify(settings, worker, job, rep, up, archive)
    except Rejected as exc:
        _fail(session, settings, worker, rows, rep, job, str(exc), exc.blacklist_now)
        raise
    hold_for_storing(session, archive.sha256)  # no removal of these bytes until the vote is committed
    store.commit_staged(archive)  # content-addressed: the digest is the blob's name
    move_replicate(rep, ReplicateEvent.UPLOAD)
    session.add(rep)
    count_votes(session, job, reps=rows.reps[job.id], workers=rows.workers)


def _verify(settings: Settings, worker: Worker, job: Job, rep: Replicate, up: ResultUpload,
            archive: Staged | None) -> None:
    """Check the archive (digest, canonical form), callback size and signature; fills the replicate's vote."""
    if archive is None:
        raise Rejected(f"the report has no archive part named {up.archive!r} (or it serves another result)")
    if archive.oversized:
        raise Rejected(f"result archive exceeds {settings.max_result_bytes} bytes")
    digest = "0x" + archive.sha256
    if digest != up.result_digest.lower():
        raise Rejected(f"archive sha256 {digest} differs from the announced result digest")
    try:
        archive.close()
        if digest not in _CANONICAL:
            check_result_archive(archive.content())
            _CANONICAL.add(digest)
    except GridError as exc:
        raise Rejected(str(exc)) from None
    callback = bytes.fromhex(up.callback_data[2:])
    if len(callback) > MAX_CALLBACK_BYTES:
        raise Rejected(f"callback data exceeds {MAX_CALLBACK_BYTES} bytes")
    cb_hash = callback_data_hash(callback)
    domain, task_id = signing_target(job)
    if not signed_by(domain, task_id, digest, cb_hash, up.signature, worker.address):
        raise Rejected(f"signature is not by worker {worker.address}", blacklist_now=True)
    rep.result_digest, rep.callback_data, rep.callback_data_hash = digest, callback, "0x" + cb_hash.hex()
    rep.signature = up.signature.lower()


def _accept_failure(session: Session, settings: Settings, worker: Worker, rows: _Batch, report: FailureReport):
    rep, job = _held(worker, rows, report.replicate)
    _fail(session, settings, worker, rows, rep, job, report.reason, False)


def _accept_return(session: Session, worker: Worker, rows: _Batch, report: FailureReport):
    rep, job = _held(worker, rows, report.replicate)
    reason = f"given back by its worker: {report.reason}"
    move_replicate(rep, ReplicateEvent.EXPIRE, reason)
    session.add(rep)
    count_votes(session, job, last_failure=reason, reps=rows.reps[job.id], workers=rows.workers, lost=True)


def _fail(session, settings: Settings, worker: Worker, rows: _Batch, rep: Replicate, job: Job, reason: str,
          blacklist_now: bool) -> None:
    move_replicate(rep, ReplicateEvent.FAIL, reason)
    worker.consecutive_failures += 1
    if blacklist_now:
        blacklist(worker, f"forged or foreign signature on job {job.uid}")
    elif worker.consecutive_failures >= settings.max_worker_failures:
        blacklist(worker, f"{worker.consecutive_failures} consecutive failures; last: {reason}")
    session.add_all([rep, worker])
    count_votes(session, job, last_failure=reason, reps=rows.reps[job.id], workers=rows.workers)
