"""Deterministic result archives and safe unpacking."""

import io
import os
import tarfile

import pytest

from offchain_grid.archive import (MalformedResult, ResultTooLarge, check_result_archive, pack_result, read_member,
                                   safe_member_name)
from offchain_grid.unpack import unpack_result
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


def _tar(*members):
    """An archive from (name, type, payload) triples, written by tarfile itself."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.REGTYPE:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            else:
                info.linkname = payload or ""
                tar.addfile(info)
    return buf.getvalue()


SYM, DIR, REG, LNK = tarfile.SYMTYPE, tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.LNKTYPE


@pytest.mark.parametrize("members", [
    # a link to "." then through it to "..": each link alone stays inside, the chain does not
    [("a", DIR, None), ("a/up", SYM, ".."), ("a/out", SYM, "up/..")],
    [("l1", SYM, "d"), ("d", DIR, None), ("d/l2", SYM, "../l1/../.."), ("x", SYM, "d/l2/etc")],
    [("loop1", SYM, "loop2"), ("loop2", SYM, "loop1"), ("through", SYM, "loop1/x")],
    [("hard", LNK, "/etc/passwd")],
    [("fifo", tarfile.FIFOTYPE, None)],
    [("dir", SYM, "/tmp"), ("dir/planted", REG, b"x")],
])
def test_unpack_refuses_link_chains_and_special_members(tmp_path, members):
    dest = tmp_path / "deep" / "dest"
    with pytest.raises(UnsafePath):
        unpack_result(_tar(*members), dest)
    assert list(dest.iterdir()) == []  # judged before anything is written
    assert not (tmp_path / "deep" / "planted").exists()


def test_unpack_never_writes_through_a_link_already_there(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "output")  # left by someone in the target folder
    with pytest.raises(UnsafePath):
        unpack_result(pack_result(b"x", b"", 0, _outputs(tmp_path, {"f.txt": b"payload"})), dest)
    assert list(outside.iterdir()) == []


def test_unpack_keeps_links_that_stay_inside(tmp_path):
    out = _outputs(tmp_path, {"a.txt": b"A"})
    (out / "d").mkdir()
    os.symlink("../a.txt", out / "d" / "to-a")
    dest = tmp_path / "dest"
    unpack_result(pack_result(b"", b"", 0, out), dest)
    assert (dest / "output" / "d" / "to-a").read_bytes() == b"A"
    assert os.readlink(dest / "output" / "d" / "to-a") == "../a.txt"


def _outputs(tmp_path, files: dict) -> "os.PathLike":
    out = tmp_path / "job-output"
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


def test_packing_never_follows_a_linked_output_dir(tmp_path):
    secret = _outputs(tmp_path, {"secret.txt": b"do not pack"})
    os.symlink(secret, tmp_path / "output")
    archive = pack_result(b"", b"", 0, tmp_path / "output")
    assert b"do not pack" not in archive
    assert tarfile.open(fileobj=io.BytesIO(archive)).getnames() == ["exit_code", "stderr", "stdout"]


def test_packing_skips_fifos_and_devices_without_blocking(tmp_path):
    out = _outputs(tmp_path, {"real.txt": b"r"})
    os.mkfifo(out / "fifo")  # opening it for reading without O_NONBLOCK would block forever
    os.symlink("/dev/zero", out / "zero")
    names = tarfile.open(fileobj=io.BytesIO(pack_result(b"", b"", 0, out))).getnames()
    assert names == ["exit_code", "stderr", "stdout", "output", "output/real.txt"]


@pytest.mark.parametrize("limit, make", [
    (dict(max_bytes=100_000), lambda out: (out / "big").write_bytes(b"x" * 200_000)),
    (dict(max_entries=50), lambda out: [(out / f"f{i}").touch() for i in range(60)]),
    ({}, lambda out: os.makedirs(out / "/".join(["d"] * 70))),
])
def test_packing_is_bounded(tmp_path, limit, make):
    out = _outputs(tmp_path, {})
    make(out)
    with pytest.raises(ResultTooLarge):
        pack_result(b"", b"", 0, out, **limit)


def test_packed_archives_pass_the_check(tmp_path):
    _tree(tmp_path / "o", 5)
    (tmp_path / "o" / "sub" / "deeper").mkdir()
    (tmp_path / "o" / "sub" / "deeper" / "z").write_bytes(b"z" * 1000)
    check_result_archive(pack_result(b"out", b"err", -9, tmp_path / "o"))
    check_result_archive(pack_result(b"", b"", 0, None))


def _reordered(archive: bytes) -> bytes:
    blocks = [archive[i:i + 512] for i in range(0, len(archive) - 1024, 512)]
    return b"".join([blocks[1], blocks[0], *blocks[2:]]) + bytes(1024)


@pytest.mark.parametrize("mangle", [
    lambda a: a + b"trailing bytes",
    lambda a: a + bytes(512 * 18),  # tarfile's own padding to a 10 KiB record
    lambda a: a[:-1024],  # no end-of-archive blocks
    lambda a: b"not a tar at all",
    lambda a: b"",
    _reordered,
    lambda a: _tar(("exit_code", REG, b"0\n"), ("stderr", REG, b""), ("stdout", REG, b"out")),  # tarfile's headers
    lambda a: pack_result(b"", b"", 0, None)[:512].replace(b"exit_code", b"exit_codf") + a[512:],
    lambda a: _tar(("exit_code", REG, b"zero\n"), ("stderr", REG, b""), ("stdout", REG, b"")),
    lambda a: _tar(("exit_code", REG, b"0\n"), ("stderr", REG, b""), ("stdout", REG, b""), ("extra", REG, b"")),
])
def test_anything_else_fails_the_check(mangle):
    archive = pack_result(b"out", b"", 0, None)
    with pytest.raises(MalformedResult):
        check_result_archive(mangle(archive))
