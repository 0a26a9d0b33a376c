"""Applications: deployable files or URIs that travel to workers, and shared apps workers provide."""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..errors import Conflict, InvalidInput
from ..images import is_image_id, normalize_image_id, read_saved_image
from ..models import App, AppPublic, Job, User
from ..platform import normalize_arch, normalize_os
from ..statuses import JOB_FINAL
from ..storage import BlobStore
from .access import require_change, require_read
from .blobs import release
from .names import check_app_name
from .addresses import owner_addresses
from .sources import check_access, take_source
from .users import user_names

def _check_name(session: Session, name: str) -> str:
    name = check_app_name(name)
    if session.exec(select(App).where(App.name == name)).first():
        raise Conflict(f"an app named {name!r} already exists")
    return name


def register_deployable(session: Session, store: BlobStore, *, owner: User, name: str, arch: str, os_name: str,
                        stream: BinaryIO | None = None, uri: str | None = None, checksum: str | None = None,
                        access: str = "public", max_bytes: int, network: bool = False) -> App:
    """A DEPLOYABLE app from an uploaded file (stored by sha256) or an external URI."""
    name = _check_name(session, name)
    try:
        arch, os_name = normalize_arch(arch), normalize_os(os_name)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    uri, checksum, size = take_source(session, store, stream=stream, uri=uri, checksum=checksum, max_bytes=max_bytes,
                                      kind="app", noun="a deployable app")
    app = App(name=name, type="DEPLOYABLE", arch=arch, os=os_name, uri=uri, checksum=checksum, size=size,
              owner_id=owner.id, access=check_access(access), network=network)
    return _save(session, app)


def register_shared(session: Session, *, owner: User, name: str, access: str = "public",
                    network: bool = False) -> App:
    """A SHARED app without image: a local tool that workers declaring its name provide."""
    app = App(name=_check_name(session, name), type="SHARED", owner_id=owner.id, access=check_access(access),
              network=network)
    return _save(session, app)


def register_docker(session: Session, store: BlobStore, *, owner: User, name: str, image: str,
                    image_id: str | None = None, stream: BinaryIO | None = None, access: str = "public",
                    max_bytes: int, network: bool = False) -> App:
    """A Docker app, pinned by its image id (its checksum): given, or read from an uploaded `docker save`
    tarball that then travels to workers whose engine lacks the image."""
    name = _check_name(session, name)
    if not image.strip() or len(image) > 255 or any(c.isspace() or c == "\x00" for c in image):
        raise InvalidInput(f"invalid Docker image name {image[:100]!r}")
    pinned = normalize_image_id(image_id) if image_id else (normalize_image_id(image) if is_image_id(image) else None)
    if is_image_id(image) and pinned != normalize_image_id(image):
        raise InvalidInput(f"image {image} and checksum sha256:{pinned} name different images")
    uri = size = None
    if stream is not None:
        uri, checksum, size = take_source(session, store, stream=stream, uri=None, checksum=None, max_bytes=max_bytes,
                                          kind="app", noun="a Docker image tarball")
        try:
            pinned = _check_tarball(store, checksum, image, pinned)
        except InvalidInput:
            release(session, store, checksum)
            raise
    if pinned is None:
        raise InvalidInput(f"Docker app {name!r} must be pinned: give its image id (checksum sha256:<64 hex>, "
                           "`docker image inspect --format {{.Id}} IMAGE`) or upload its `docker save` tarball")
    app = App(name=name, type="SHARED", image=image.strip(), checksum=pinned, uri=uri, size=size, owner_id=owner.id,
              access=check_access(access), network=network)
    return _save(session, app)


def _check_tarball(store: BlobStore, checksum: str, image: str, pinned: str | None) -> str:
    """The image id the stored tarball holds, once it matches the pin and the name and may run on workers."""
    saved = read_saved_image(store.path(checksum))
    if pinned is not None and saved.image_id != pinned:
        raise InvalidInput(f"the image tarball holds image sha256:{saved.image_id}, not sha256:{pinned}")
    if not is_image_id(image) and saved.tags and image.strip() not in saved.tags:
        raise InvalidInput(f"the image tarball holds {', '.join(saved.tags)}, not {image.strip()!r}")
    if saved.volumes:
        raise InvalidInput(f"the image declares volumes ({', '.join(saved.volumes)}), which would be writable "
                           "outside the job directory: rebuild it without VOLUME")
    return saved.image_id


def _save(session: Session, app: App) -> App:
    session.add(app)
    session.commit()
    session.refresh(app)
    return app


def lookup_app(session: Session, ref: str) -> App | None:
    """The app whose uid is `ref`, else the one named `ref` (names never look like uids)."""
    return session.exec(select(App).where(App.uid == ref)).first() or \
        session.exec(select(App).where(App.name == ref)).first()


def find_app(session: Session, user: User, ref: str) -> App:
    """An app by uid or name that `user` may use."""
    return require_read(user, lookup_app(session, ref), "app", ref)


def list_apps(session: Session, user: User) -> list[App]:
    query = select(App).order_by(App.id)
    if not user.is_admin:
        query = query.where(or_(App.owner_id == user.id, App.access == "public"))
    return list(session.exec(query))


def remove_app(session: Session, store: BlobStore, user: User, ref: str) -> App:
    """Remove an app; refused while unfinished jobs use it (finished jobs keep its name)."""
    app = require_change(user, find_app(session, user, ref), "app", ref)
    busy = session.exec(select(func.count()).select_from(Job).where(
        Job.app_id == app.id, Job.status.not_in([s.value for s in JOB_FINAL]))).one()
    if busy:
        raise Conflict(f"app {app.name!r} is used by {busy} unfinished job(s); abort them or wait")
    for job in session.exec(select(Job).where(Job.app_id == app.id)):
        job.app_id = None
        session.add(job)
    session.delete(app)
    session.commit()
    if app.uri and app.uri.startswith("blob:"):  # the app's file, or its image tarball
        release(session, store, app.uri[5:])
    return app


def app_public(session: Session, apps: list[App]) -> list[AppPublic]:
    ids = {a.owner_id for a in apps}
    owners, addresses = user_names(session, ids), owner_addresses(session, ids)
    return [AppPublic(**a.model_dump(), owner=owners.get(a.owner_id, ""), owner_address=addresses.get(a.owner_id))
            for a in apps]
