"""Where the bytes of an app or a data item live: uploaded and stored by sha256, or at a URI."""

from __future__ import annotations

from typing import BinaryIO
from urllib.parse import urlparse

from sqlmodel import Session

from ..errors import InvalidInput
from ..storage import BlobStore, normalize_checksum
from .blobs import hold_for_storing

URI_SCHEMES = ("http", "https", "file")


def check_access(access: str) -> str:
    if access not in ("public", "private"):
        raise InvalidInput("access must be 'public' or 'private'")
    return access


def take_source(session: Session, store: BlobStore, *, stream: BinaryIO | None, uri: str | None,
                checksum: str | None, max_bytes: int, kind: str, noun: str) -> tuple[str, str | None, int | None]:
    """(uri, checksum, size): an upload is stored (size-limited, an announced checksum verified)
    and referred to as `blob:<sha256>`; a URI is kept with its optional checksum and no size.
    An upload holds its checksum against removals until the session commits the referring row.
    `kind` ("app", "data") and `noun` ("a deployable app", "data") word the errors."""
    if (stream is None) == (uri is None):
        raise InvalidInput(f"give either a file or a URI for {noun}")
    if stream is not None:
        checksum, size = store.put_stream(stream, max_bytes=max_bytes, expected=checksum,
                                          before_commit=lambda stored: hold_for_storing(session, stored))
        return f"blob:{checksum}", checksum, size
    if "\x00" in uri or any(c.isspace() for c in uri) or len(uri) > 2048:
        raise InvalidInput(f"{kind} URI must be at most 2048 characters, without spaces or NUL")
    if urlparse(uri).scheme not in URI_SCHEMES:
        raise InvalidInput(f"{kind} URI must use one of {', '.join(URI_SCHEMES)}: {uri!r}")
    return uri, normalize_checksum(checksum) if checksum else None, None
