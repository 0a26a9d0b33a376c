"""Deterministic result archives and safe unpacking.

Every worker must produce the same bytes from the same outputs, or honest replicates
would disagree: entries are sorted, owners, times and modes fixed, the tar is not
compressed (compressors differ between library versions), and symlinks are never followed.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import stat
import tarfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from .errors import GridError, UnsafePath

OUTPUT_PREFIX = "output"
MAX_DEPTH = 64


class ResultTooLarge(GridError):
    """The job's outputs are over a bound (bytes, entries, depth or packing time)."""

    status_code = 413


class MalformedResult(GridError):
    """An uploaded result is not a result archive as workers write it."""

    status_code = 422


@lru_cache(maxsize=4096)
def _header(name: str, size: int = 0, kind: bytes = tarfile.REGTYPE, mode: int = 0o644, linkname: str = "") -> bytes:
    """Header block(s) of one member. Cached: most archives repeat the same few headers."""
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mode, info.linkname = size, kind, mode, linkname
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    # Plain ustar when the name fits (the common case and cheaper to build), pax for long names.
    try:
        return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")
    except ValueError:
        return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


@dataclass
class _Budget:
    """Bounds on packing: archive bytes, entries and time, so no output can stall or swamp a worker."""

    max_bytes: int | None
    max_entries: int
    deadline: float
    used: int = 0
    entries: int = 0

    def take(self, size: int) -> None:
        self.used += tarfile.BLOCKSIZE + size + (-size % tarfile.BLOCKSIZE)
        if self.max_bytes is not None and self.used > self.max_bytes:
            raise ResultTooLarge(f"result archive exceeds the limit of {self.max_bytes} bytes")
        self.entries += 1
        if self.entries > self.max_entries:
            raise ResultTooLarge(f"output holds more than {self.max_entries} entries")
        if time.monotonic() > self.deadline:
            raise ResultTooLarge("packing the output took too long; the job left too many or too large files")


def pack_result(stdout: bytes, stderr: bytes, exit_code: int, output_dir: Path | None, *,
                max_bytes: int | None = None, max_entries: int = 100_000, max_seconds: float = 120.0) -> bytes:
    """Tar of stdout, stderr, exit_code and the output directory, identical for identical inputs.

    The output directory is read through file descriptors without following any link: a job
    that turns `output/` or a file in it into a link, a FIFO or a device gets nothing read
    through it (links out of the directory and special files are left out).
    """
    budget = _Budget(max_bytes, max_entries, time.monotonic() + max_seconds)
    members = _fixed_members(stdout, stderr, exit_code)
    for member in members:
        budget.take(len(member[3]))
    if output_dir is not None:
        members += _output_members(output_dir, budget)
    return _assemble(members)


def _fixed_members(stdout: bytes, stderr: bytes, exit_code: int) -> list[tuple]:
    return [("exit_code", tarfile.REGTYPE, 0o644, f"{exit_code}\n".encode()),
            ("stderr", tarfile.REGTYPE, 0o644, stderr), ("stdout", tarfile.REGTYPE, 0o644, stdout)]


def _assemble(members: list[tuple]) -> bytes:
    """Members are (name, type, mode, data bytes or link target)."""
    return b"".join(_chunks(members, lambda payload: (payload,)))


def _chunks(members: list[tuple], payload_chunks):
    """The archive's bytes in pieces; `payload_chunks(payload)` gives a regular member's data."""
    for name, kind, mode, payload in members:
        if kind == tarfile.REGTYPE:
            size = payload[1] if isinstance(payload, tuple) else len(payload)
            yield _header(name, size, mode=mode)
            if size:
                yield from payload_chunks(payload)
                yield bytes(-size % tarfile.BLOCKSIZE)
        elif kind == tarfile.SYMTYPE:
            yield _header(name, kind=kind, mode=0o777, linkname=payload)
        else:
            yield _header(name, kind=tarfile.DIRTYPE, mode=0o755)
    yield bytes(2 * tarfile.BLOCKSIZE)  # end of archive, without padding to 10 KiB records


def _output_members(output_dir: Path, budget: _Budget) -> list[tuple]:
    try:
        fd = os.open(output_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:  # absent, a link or not a directory: the job left no outputs
        return []
    members = [(OUTPUT_PREFIX, tarfile.DIRTYPE, 0o755, b"")]
    budget.take(0)
    try:
        _walk(fd, OUTPUT_PREFIX, members, budget, depth=0)
    finally:
        os.close(fd)
    return members


def _walk(dir_fd: int, prefix: str, members: list[tuple], budget: _Budget, depth: int) -> None:
    """Entries of one directory in name order, then each subdirectory's (the order os.walk gives)."""
    if depth > MAX_DEPTH:
        raise ResultTooLarge(f"output is nested deeper than {MAX_DEPTH} directories")
    subdirs = []
    for name in sorted(os.listdir(dir_fd)):
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        member = f"{prefix}/{name}"
        if stat.S_ISDIR(st.st_mode):
            budget.take(0)
            members.append((member, tarfile.DIRTYPE, 0o755, b""))
            subdirs.append(name)
        elif stat.S_ISREG(st.st_mode):
            read = _read_regular(dir_fd, name, budget)
            if read is not None:
                members.append((member, tarfile.REGTYPE, read[0], read[1]))
        elif stat.S_ISLNK(st.st_mode):
            target = os.readlink(name, dir_fd=dir_fd)
            if _link_stays_inside(member, target):
                budget.take(0)
                members.append((member, tarfile.SYMTYPE, 0o777, target))
        # Sockets, FIFOs, devices, and links leading out of the directory are left out.
    for name in subdirs:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError:
            continue
        try:
            _walk(fd, f"{prefix}/{name}", members, budget, depth + 1)
        finally:
            os.close(fd)


def _read_regular(dir_fd: int, name: str, budget: _Budget) -> tuple[int, bytes] | None:
    """(mode, bytes) of a regular file, opened so that nothing but a regular file is ever read."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        budget.take(st.st_size)
        chunks, left = [], st.st_size
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return (0o755 if st.st_mode & 0o111 else 0o644), b"".join(chunks)
    finally:
        os.close(fd)


def _link_stays_inside(member: str, target: str) -> bool:
    """Whether a link stored as `member` (output/...) and pointing to `target` stays in output/."""
    if not target or target.startswith("/") or "\x00" in target:
        return False
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(member), target))
    return resolved == OUTPUT_PREFIX or resolved.startswith(OUTPUT_PREFIX + "/")


def check_result_archive(archive: bytes | Path, max_entries: int = 100_000) -> None:
    """Refuse anything but a result archive exactly as `pack_result` writes it (bytes, or a file).

    The archive is parsed and packed again canonically; any other byte (order, header field,
    member type, mode, padding, trailing data) makes the bytes differ. A file is read in pieces
    (twice: headers, then the comparison), never held in memory whole.
    """
    with _readers(archive) as (scan, payloads):
        try:
            with tarfile.open(fileobj=scan, mode="r:") as tar:
                parsed = _parsed_members(tar, max_entries + 4)
        except (tarfile.TarError, EOFError, ValueError, UnicodeError) as exc:
            raise MalformedResult(f"result archive is not a valid tar: {exc}") from None
        names = [m[0] for m in parsed[:3]]
        if names != ["exit_code", "stderr", "stdout"] or any(m[1] != tarfile.REGTYPE for m in parsed[:3]):
            raise MalformedResult("result archive must start with exit_code, stderr and stdout")
        offset, size = parsed[0][3]
        payloads.seek(offset)
        if size > 12 or not re.fullmatch(rb"-?[0-9]{1,10}\n", payloads.read(size)):
            raise MalformedResult("result archive's exit_code is not a number")
        output = parsed[3:]
        if output and output[0][:2] != (OUTPUT_PREFIX, tarfile.DIRTYPE):
            raise MalformedResult("result archive holds members outside output/")
        for name, kind, _mode, payload in output[1:]:
            if not name.startswith(OUTPUT_PREFIX + "/") or (kind == tarfile.SYMTYPE and not _link_stays_inside(name, payload)):
                raise MalformedResult(f"result archive member {name!r} is not allowed")
        if len({m[0] for m in parsed}) != len(parsed):
            raise MalformedResult("result archive holds a member twice")

        def payload_chunks(payload: tuple[int, int]):
            payloads.seek(payload[0])
            left = payload[1]
            while left > 0 and (chunk := payloads.read(min(left, 1 << 20))):
                left -= len(chunk)
                yield chunk

        scan.seek(0)
        for expected in _chunks(parsed[:3] + _canonical_order(output), payload_chunks):
            if scan.read(len(expected)) != expected:
                raise MalformedResult("result archive is not in the canonical form workers produce")
        if scan.read(1):
            raise MalformedResult("result archive is not in the canonical form workers produce (trailing data)")


@contextmanager
def _readers(archive: bytes | Path):
    """Two independent readers of the archive: one walks it in order, the other fetches member data."""
    if isinstance(archive, (bytes, bytearray, memoryview)):
        yield io.BytesIO(archive), io.BytesIO(archive)
        return
    with open(archive, "rb") as scan, open(archive, "rb") as payloads:
        yield scan, payloads


def _parsed_members(tar: tarfile.TarFile, max_members: int) -> list[tuple]:
    """(name, type, mode, payload) of every member, a regular file's payload being (offset, size)."""
    parsed = []
    while (member := tar.next()) is not None:
        tar.members.clear()  # keep a small tuple per member, not tarfile's objects
        if len(parsed) == max_members:
            raise MalformedResult(f"result archive holds more than {max_members - 4} outputs")
        safe_member_name(member.name)
        if member.isreg():
            if member.mode not in (0o644, 0o755):
                raise MalformedResult(f"result archive member {member.name!r} has mode {member.mode:o}")
            parsed.append((member.name, tarfile.REGTYPE, member.mode, (member.offset_data, member.size)))
        elif member.issym():
            parsed.append((member.name, tarfile.SYMTYPE, member.mode, member.linkname))
        elif member.isdir():
            parsed.append((member.name, tarfile.DIRTYPE, member.mode, b""))
        else:
            raise MalformedResult(f"result archive member {member.name!r} has a type workers never write")
    return parsed


def _canonical_order(output: list[tuple]) -> list[tuple]:
    """The output members in the order a worker's walk produces, from their names alone."""
    if not output:
        return []
    children: dict[str, list[tuple]] = {}
    for member in output[1:]:
        parent, _, _ = member[0].rpartition("/")
        children.setdefault(parent, []).append(member)
    ordered = [output[0]]

    def visit(directory: str) -> None:
        entries = sorted(children.pop(directory, []), key=lambda m: m[0].rpartition("/")[2])
        ordered.extend(entries)
        for member in entries:
            if member[1] == tarfile.DIRTYPE:
                visit(member[0])

    visit(OUTPUT_PREFIX)
    if children:  # members whose directory is missing
        raise MalformedResult("result archive has members without their directory")
    return ordered


def safe_member_name(name: str) -> str:
    """Refuse names that are absolute or climb out with '..'; return the normalized name."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name or "\x00" in name:
        raise UnsafePath(f"unsafe path in archive or file name: {name!r}")
    return str(path)


def check_file_name(name: str) -> str:
    """A data name becomes a file in the job directory: one plain component only."""
    try:
        clean = safe_member_name(name)
    except UnsafePath:
        raise UnsafePath(f"data name {name!r} is not a plain file name") from None
    if "/" in clean or clean in (".", "") or clean.startswith(".") or len(clean) > 255:
        raise UnsafePath(f"data name {name!r} is not a plain file name (no '/', not starting with '.')")
    return clean


def exit_code_of(head: bytes) -> int | None:
    """The app's exit code, from the first bytes of a result archive (`exit_code` comes first)."""
    try:
        info = tarfile.TarInfo.frombuf(head[:tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.TarError:
        return None
    data = head[tarfile.BLOCKSIZE:tarfile.BLOCKSIZE + info.size]
    if info.name != "exit_code" or len(data) != info.size:
        return None
    try:
        return int(data.strip())
    except ValueError:
        return None


def stderr_start(head: bytes) -> bytes:
    """The first bytes of the app's stderr, from the first bytes of a result archive (`stderr`
    comes second, after the two blocks of `exit_code`); what `head` holds of it."""
    try:
        info = tarfile.TarInfo.frombuf(head[2 * tarfile.BLOCKSIZE:3 * tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.TarError:
        return b""
    if info.name != "stderr":
        return b""
    return head[3 * tarfile.BLOCKSIZE:3 * tarfile.BLOCKSIZE + info.size]


def read_member(archive: bytes, name: str) -> bytes | None:
    """One member's bytes (e.g. 'stdout'), or None if absent."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        try:
            handle = tar.extractfile(name)
        except KeyError:
            return None
        return handle.read() if handle else None
