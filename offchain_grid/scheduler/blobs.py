"""References to stored content: a blob is removed only when no record refers to it any more.

Uploads are stored once per sha256 whoever sends them, so the same bytes can be one user's
data, another's app and a third's job result at once; removing one record must not remove what
the others still need.

Storing and removing race when several schedulers (or threads) share one PostgreSQL database:
a removal could find no reference, an upload of the same bytes then land its file and commit its
row, and the removal delete the file under it. So each checksum has a transaction-scoped advisory
lock: shared by whoever stores the bytes, from before the file is in place until the referring row
is committed; exclusive for a removal, around its check and the deletion. (On SQLite one scheduler
process writes at a time, which already orders them.)
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, select

from ..models import App, Data, Job, Replicate
from ..statuses import ReplicateStatus
from ..storage import BlobStore

# Results of votes not counted yet, or of the agreed result, are stored under their digest too.
_STORED_VOTES = [ReplicateStatus.DONE.value, ReplicateStatus.VALID.value]


def referenced(session: Session, checksum: str) -> bool:
    """Whether any data, app, job result or pending vote refers to the blob `checksum` (64 hex)."""
    blob, digest = f"blob:{checksum}", "0x" + checksum
    queries = (select(Data.id).where(Data.checksum == checksum, Data.uri == blob),
               select(App.id).where(App.uri == blob),  # an app's file or a Docker app's image tarball
               select(Job.id).where(Job.result_digest == digest),
               select(Replicate.id).where(Replicate.result_digest == digest, Replicate.status.in_(_STORED_VOTES)))
    return any(session.exec(query.limit(1)).first() is not None for query in queries)


def hold_for_storing(session: Session, checksum: str) -> None:
    """Keep removals of `checksum` away until this transaction commits the row that refers to it."""
    _advisory_lock(session, checksum, "pg_advisory_xact_lock_shared")


def release(session: Session, store: BlobStore, checksum: str | None) -> bool:
    """Remove the blob if nothing refers to it any more (call after the referring row is gone)."""
    if not checksum:
        return False
    try:
        _advisory_lock(session, checksum, "pg_advisory_xact_lock")  # waits for uploads of these bytes in flight
        removed = not referenced(session, checksum) and store.remove(checksum)
    finally:
        session.commit()  # ends the transaction, and its lock, in every case
    return removed


def _advisory_lock(session: Session, checksum: str, function: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(bytes.fromhex(checksum[:16]), "big", signed=True)
        session.execute(text(f"SELECT {function}(:key)"), {"key": key})
