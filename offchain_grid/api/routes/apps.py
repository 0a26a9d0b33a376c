from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse

from ...errors import InvalidInput, NotFound
from ...models import AppPublic
from ...scheduler import apps
from ..deps import SessionDep, SettingsDep, StoreDep, UserDep
from ..limits import UPLOAD_FORM

router = APIRouter(prefix="/apps", tags=["apps"])


@router.post("", response_model=AppPublic, status_code=201, form_limits=UPLOAD_FORM)
def register_app(session: SessionDep, store: StoreDep, settings: SettingsDep, user: UserDep,
                 name: Annotated[str, Form()], type: Annotated[str, Form()] = "DEPLOYABLE",
                 arch: Annotated[str | None, Form()] = None, os: Annotated[str | None, Form()] = None,
                 uri: Annotated[str | None, Form()] = None, checksum: Annotated[str | None, Form()] = None,
                 image: Annotated[str | None, Form()] = None, access: Annotated[str, Form()] = "public",
                 network: Annotated[bool, Form()] = False, file: Annotated[UploadFile | None, File()] = None):
    """Register a DEPLOYABLE app (file or URI, with ARCH and OS) or a SHARED one: a Docker `image` pinned by
    its id (`checksum`, or read from the `docker save` tarball uploaded as `file`), or a tool workers provide.

    Its jobs run without network unless `network` is true."""
    kind = type.upper()
    if kind == "SHARED" and image is not None:
        app = apps.register_docker(session, store, owner=user, name=name, image=image, image_id=checksum,
                                   stream=file.file if file else None, access=access,
                                   max_bytes=settings.max_upload_bytes, network=network)
    elif kind == "SHARED":
        if file is not None or uri is not None or checksum is not None:
            raise InvalidInput("a SHARED app without image has no file, URI or checksum: workers provide it")
        app = apps.register_shared(session, owner=user, name=name, access=access, network=network)
    elif kind == "DEPLOYABLE":
        if not arch or not os:
            raise InvalidInput("a DEPLOYABLE app needs arch and os")
        app = apps.register_deployable(session, store, owner=user, name=name, arch=arch, os_name=os,
                                       stream=file.file if file else None, uri=uri, checksum=checksum,
                                       access=access, max_bytes=settings.max_upload_bytes, network=network)
    else:
        raise InvalidInput(f"app type must be DEPLOYABLE or SHARED, not {type!r}")
    return apps.app_public(session, [app])[0]


@router.get("", response_model=list[AppPublic])
def list_apps(session: SessionDep, user: UserDep):
    return apps.app_public(session, apps.list_apps(session, user))


@router.get("/{ref}", response_model=AppPublic)
def read_app(ref: str, session: SessionDep, user: UserDep):
    """An app by name or uid."""
    return apps.app_public(session, [apps.find_app(session, user, ref)])[0]


@router.get("/{ref}/file")
def download_app(ref: str, session: SessionDep, store: StoreDep, user: UserDep):
    app = apps.find_app(session, user, ref)
    if not app.uri or not app.uri.startswith("blob:"):
        raise NotFound(f"app {ref!r} has no stored file (it is shared or lives at {app.uri})")
    return FileResponse(store.open(app.uri[5:]), media_type="application/octet-stream", filename=app.name)


@router.delete("/{ref}", response_model=AppPublic)
def remove_app(ref: str, session: SessionDep, store: StoreDep, user: UserDep):
    view = apps.app_public(session, [apps.find_app(session, user, ref)])[0]
    apps.remove_app(session, store, user, ref)
    return view
