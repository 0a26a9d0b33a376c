"""Input data: uploads stored by sha256 (size-limited, checksum verified) or external URIs."""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy import or_
from sqlmodel import Session, select

from ..archive import check_file_name
from ..errors import Conflict, InvalidInput
from ..models import Data, DataPublic, Job, User
from ..statuses import JOB_FINAL
from ..storage import BlobStore, normalize_checksum
from .access import require_change, require_read
from .blobs import release
from .names import looks_like_uid
from .addresses import owner_addresses
from .sources import check_access, take_source
from .users import user_names


def register_data(session: Session, store: BlobStore, *, owner: User, name: str, stream: BinaryIO | None = None,
                  uri: str | None = None, checksum: str | None = None, size: int | None = None,
                  access: str = "private", max_bytes: int) -> Data:
    name = check_file_name(name)
    if looks_like_uid(name):
        raise InvalidInput(f"data name {name!r} looks like a uid; data are referred to by uid, choose another name")
    check_access(access)
    uri, checksum, stored_size = take_source(session, store, stream=stream, uri=uri, checksum=checksum, max_bytes=max_bytes,
                                             kind="data", noun="data")
    size = stored_size if stored_size is not None else size
    data = Data(name=name, checksum=checksum, size=size, uri=uri, access=access, owner_id=owner.id)
    session.add(data)
    session.commit()
    session.refresh(data)
    return data


def find_data(session: Session, user: User, uid: str) -> Data:
    return require_read(user, session.exec(select(Data).where(Data.uid == uid)).first(), "data", uid)


def list_datas(session: Session, user: User, checksum: str | None = None) -> list[Data]:
    query = select(Data).order_by(Data.id)
    if checksum:
        query = query.where(Data.checksum == normalize_checksum(checksum))
    if not user.is_admin:
        query = query.where(or_(Data.owner_id == user.id, Data.access == "public"))
    return list(session.exec(query))


def remove_data(session: Session, store: BlobStore, user: User, uid: str) -> Data:
    """Remove data; refused while unfinished jobs read it. The blob goes when nothing else refers to it."""
    data = require_change(user, find_data(session, user, uid), "data", uid)
    unfinished = session.exec(select(Job.data_ids).where(Job.status.not_in([s.value for s in JOB_FINAL])))
    if any(data.id in ids for ids in unfinished):
        raise Conflict(f"data {uid!r} is read by unfinished jobs; abort them or wait")
    session.delete(data)
    session.commit()
    if data.uri == f"blob:{data.checksum}":
        release(session, store, data.checksum)
    return data


def data_public(session: Session, datas: list[Data]) -> list[DataPublic]:
    owners = user_names(session, {d.owner_id for d in datas})
    addresses = owner_addresses(session, {d.owner_id for d in datas})
    return [DataPublic(**d.model_dump(), owner=owners.get(d.owner_id, ""), owner_address=addresses.get(d.owner_id))
            for d in datas]
