"""A removal racing an upload of the same bytes on PostgreSQL (two schedulers, one database): the removal
waits for the upload's row and keeps the file, at the worst moment the upload can be caught in."""

from __future__ import annotations

import io
import threading

from sqlalchemy import event
from sqlmodel import Session

from offchain_grid.db import make_engine
from offchain_grid.scheduler.datas import register_data, remove_data
from offchain_grid.scheduler.users import create_user
from offchain_grid.storage import BlobStore

BYTES = b"the same bytes, uploaded by two users\n"


def test_removal_waits_for_an_upload_of_the_same_bytes_in_flight(postgres, tmp_path):
    engine = make_engine(postgres.new_database())
    store = BlobStore(tmp_path / "blobs")
    with Session(engine, expire_on_commit=False) as session:
        alice, _ = create_user(session, name="alice")
        bob, _ = create_user(session, name="bob")
        old = register_data(session, store, owner=alice, name="a.txt", stream=io.BytesIO(BYTES), max_bytes=1 << 20)
    checksum = old.checksum

    # Bob's upload stops after its file is in place and before its row is committed.
    in_place, go_on = threading.Event(), threading.Event()
    uploading = Session(engine, expire_on_commit=False)

    @event.listens_for(uploading, "before_commit")
    def pause(_session):
        if not in_place.is_set():
            in_place.set()
            assert go_on.wait(60)

    uploaded: list = []
    upload = threading.Thread(target=lambda: uploaded.append(register_data(
        uploading, store, owner=bob, name="b.txt", stream=io.BytesIO(BYTES), max_bytes=1 << 20)))
    upload.start()
    assert in_place.wait(60)

    removing = Session(engine, expire_on_commit=False)
    removal = threading.Thread(target=lambda: remove_data(removing, store, alice, old.uid))
    removal.start()
    removal.join(1.5)
    assert removal.is_alive(), "the removal did not wait for the upload in flight"
    assert store.has(checksum)
    go_on.set()
    upload.join(60)
    removal.join(60)
    assert not upload.is_alive() and not removal.is_alive()
    assert store.has(checksum), "the removal deleted the file of the upload it raced"
    assert store.open(uploaded[0].checksum).read_bytes() == BYTES

    with Session(engine) as session:  # and once the last reference goes, the file goes too
        remove_data(session, store, bob, uploaded[0].uid)
    assert not store.has(checksum)
    uploading.close()
    removing.close()
    engine.dispose()
