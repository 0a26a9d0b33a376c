"""Deterministic result archives and safe unpacking."""

import io
import os
import tarfile

import pytest

from offchain_grid.archive import pack_result, read_member, safe_member_name, unpack_result
from offchain_grid.errors import UnsafePath


def _tree(root, mtime):
    (root / "sub").mkdir(parents=True)
    (root / "b.txt").write_text("bee")
    (root / "a.txt").write_text("ay")
    (root / "sub" / "c.bin").write_bytes(b"\x00\x01")
    os.symlink("a.txt", root / "inside-link")
    os.symlink("/etc/passwd", root / "outside-link")
    os.symlink("../../secret", root / "sub" / "climbing-link")
    for path in [root / "a.txt", root / "b.txt", root / "sub" / "c.bin"]:
        os.utime(path, (mtime, mtime))


def test_same_outputs_same_bytes(tmp_path):
    _tree(tmp_path / "one", 1_000_000)
    _tree(tmp_path / "two", 2_000_000)
    os.chmod(tmp_path / "two" / "a.txt", 0o600)
    first = pack_result(b"out", b"err", 0, tmp_path / "one")
    assert first == pack_result(b"out", b"err", 0, tmp_path / "two")
    assert first != pack_result(b"out", b"err", 1, tmp_path / "one")


def test_archive_contents_and_no_links_out(tmp_path):
    _tree(tmp_path / "o", 5)
    archive = pack_result(b"hello\n", b"", 3, tmp_path / "o")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = tar.getnames()
        assert all(m.mtime == 0 and m.uid == 0 and m.uname == "" for m in tar.getmembers())
    assert names[:3] == ["exit_code", "stderr", "stdout"]
    assert "output/a.txt" in names and "output/sub/c.bin" in names and "output/inside-link" in names
    assert "output/outside-link" not in names and "output/sub/climbing-link" not in names
    assert read_member(archive, "exit_code") == b"3\n"
    assert read_member(archive, "stdout") == b"hello\n"


def test_unpack_round_trip(tmp_path):
    _tree(tmp_path / "o", 5)
    files = unpack_result(pack_result(b"x", b"", 0, tmp_path / "o"), tmp_path / "dest")
    assert (tmp_path / "dest" / "output" / "sub" / "c.bin").read_bytes() == b"\x00\x01"
    assert "stdout" in files


def _evil(name, kind=tarfile.REGTYPE, link=""):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, link
        info.size = 0 if kind != tarfile.REGTYPE else 3
        tar.addfile(info, io.BytesIO(b"bad") if kind == tarfile.REGTYPE else None)
    return buf.getvalue()


@pytest.mark.parametrize("archive", [
    _evil("../escape.txt"), _evil("/abs/path.txt"), _evil("a/../../x"),
    _evil("link", tarfile.SYMTYPE, "/etc/passwd"), _evil("link", tarfile.SYMTYPE, "../../x"),
    _evil("dev", tarfile.CHRTYPE),
])
def test_unpack_refuses_escapes(tmp_path, archive):
    with pytest.raises(UnsafePath):
        unpack_result(archive, tmp_path / "dest")
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../b", "a\\b", ""])
def test_safe_member_name_refuses(name):
    with pytest.raises(UnsafePath):
        safe_member_name(name)
