from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse

from ...errors import NotFound
from ...models import DataPublic
from ...scheduler import datas
from ..deps import SessionDep, SettingsDep, StoreDep, UserDep
from ..limits import UPLOAD_FORM

router = APIRouter(prefix="/datas", tags=["datas"])


@router.post("", response_model=DataPublic, status_code=201, form_limits=UPLOAD_FORM)
def register_data(session: SessionDep, store: StoreDep, settings: SettingsDep, user: UserDep,
                  name: Annotated[str, Form()], uri: Annotated[str | None, Form()] = None,
                  checksum: Annotated[str | None, Form()] = None, access: Annotated[str, Form()] = "private",
                  file: Annotated[UploadFile | None, File()] = None):
    """Upload a file (stored by sha256; a given checksum is verified) or register a URI."""
    data = datas.register_data(session, store, owner=user, name=name, stream=file.file if file else None,
                               uri=uri, checksum=checksum, access=access, max_bytes=settings.max_upload_bytes)
    return datas.data_public(session, [data])[0]


@router.get("", response_model=list[DataPublic])
def list_datas(session: SessionDep, user: UserDep, checksum: str | None = None):
    return datas.data_public(session, datas.list_datas(session, user, checksum))


@router.get("/{uid}", response_model=DataPublic)
def read_data(uid: str, session: SessionDep, user: UserDep):
    return datas.data_public(session, [datas.find_data(session, user, uid)])[0]


@router.get("/{uid}/content")
def download_data(uid: str, session: SessionDep, store: StoreDep, user: UserDep):
    data = datas.find_data(session, user, uid)
    if not data.uri or not data.uri.startswith("blob:"):
        raise NotFound(f"data {uid!r} is not stored here; it lives at {data.uri}")
    return FileResponse(store.open(data.checksum), media_type="application/octet-stream", filename=data.name)


@router.delete("/{uid}", response_model=DataPublic)
def remove_data(uid: str, session: SessionDep, store: StoreDep, user: UserDep):
    view = datas.data_public(session, [datas.find_data(session, user, uid)])[0]
    datas.remove_data(session, store, user, uid)
    return view
