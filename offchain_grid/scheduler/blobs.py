"""References to stored content: a blob is removed only when no record refers to it any more.

Uploads are stored once per sha256 whoever sends them, so the same bytes can be one user's
data, another's app and a third's job result at once; removing one record must not remove what
the others still need.
"""

from __future__ import annotations

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
               select(Replicate.id).where(Replicate.digest == digest, Replicate.status.in_(_STORED_VOTES)))
    return any(session.exec(query.limit(1)).first() is not None for query in queries)


def release(session: Session, store: BlobStore, checksum: str | None) -> bool:
    """Remove the blob if nothing refers to it any more (call after the referring row is gone)."""
    if not checksum or referenced(session, checksum):
        return False
    return store.remove(checksum)
