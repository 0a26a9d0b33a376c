"""A scheduler's database made before a column was renamed keeps its rows under the new name."""

import sqlite3

from sqlmodel import Session, select

from offchain_grid.db import make_engine
from offchain_grid.models import Replicate


def test_a_replicates_digest_column_becomes_result_digest_with_its_values(tmp_path):
    path = tmp_path / "old.db"
    make_engine(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as old:  # the column under its former name, a reported vote in it
        old.execute('ALTER TABLE replicate RENAME COLUMN "result_digest" TO "digest"')
        old.execute("INSERT INTO replicate (uid, job_id, status, digest, created_at) VALUES ('r1', 1, 'DONE', '0xd1', 1.0)")
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        [replicate] = session.exec(select(Replicate)).all()
    assert (replicate.uid, replicate.result_digest) == ("r1", "0xd1")
    make_engine(f"sqlite:///{path}")  # a second start finds nothing to rename
