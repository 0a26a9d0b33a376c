"""Unpacking a result archive on a user's machine, never writing outside the chosen folder."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from .archive import safe_member_name
from .errors import UnsafePath


def unpack_result(archive: bytes, destination: Path) -> list[str]:
    """Unpack into `destination`, never writing outside it.

    Every member is judged first (tarfile's data filter, plus: regular files, directories and
    links only, links resolved through the archive's own links must stay inside); nothing is
    written when one is refused. Writing then never follows a link: each path component is
    opened with O_NOFOLLOW, and links are created last.
    """
    destination.mkdir(parents=True, exist_ok=True)
    root = os.path.realpath(destination)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            members = [_judged(tar, m, root) for m in tar.getmembers()]
    except (tarfile.TarError, EOFError, ValueError) as exc:
        if isinstance(exc, tarfile.FilterError):
            raise UnsafePath(f"archive member refused: {exc}") from None
        raise UnsafePath(f"not a valid result archive: {exc}") from None
    links = {name: payload for name, kind, _mode, payload in members if kind == tarfile.SYMTYPE}
    for name in links:
        _resolve_inside(name, links)
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name, kind, mode, payload in members:
            if kind != tarfile.SYMTYPE:
                _write_member(root_fd, name, kind, mode, payload)
        for name, target in links.items():
            parent_fd, leaf = _open_parent(root_fd, name)
            try:
                os.symlink(target, leaf, dir_fd=parent_fd)
            except FileExistsError:  # what is there already stays
                pass
            finally:
                os.close(parent_fd)
    finally:
        os.close(root_fd)
    return [name for name, *_ in members]


def _judged(tar: tarfile.TarFile, member: tarfile.TarInfo, root: str) -> tuple:
    name = safe_member_name(member.name)
    if not (member.isreg() or member.isdir() or member.issym()):
        raise UnsafePath(f"archive member of unsupported type: {member.name!r}")
    filtered = tarfile.data_filter(member, root)
    if member.isreg():
        return name, tarfile.REGTYPE, 0o755 if filtered.mode & 0o111 else 0o644, tar.extractfile(member).read()
    if member.issym():
        return name, tarfile.SYMTYPE, 0o777, filtered.linkname
    return name, tarfile.DIRTYPE, 0o755, b""


def _resolve_inside(name: str, links: dict[str, str], hops: int = 0) -> list[str]:
    """Components `name` leads to once the archive's links are followed; UnsafePath if outside."""
    if hops > 40:
        raise UnsafePath(f"archive links loop through {name!r}")
    here: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not here:
                raise UnsafePath(f"archive link chain leads outside the destination: {name!r}")
            here.pop()
            continue
        here.append(part)
        path = "/".join(here)
        if path in links:
            target = links[path]
            if target.startswith("/"):
                raise UnsafePath(f"archive symlink points outside: {path!r}")
            here = _resolve_inside("/".join(here[:-1] + [target]), links, hops + 1)
    return here


def _open_parent(root_fd: int, name: str) -> tuple[int, str]:
    """A descriptor of `name`'s directory, reached without following links (created as needed)."""
    *dirs, leaf = name.split("/")
    fd = os.dup(root_fd)
    for part in dirs:
        try:
            os.mkdir(part, 0o755, dir_fd=fd)
        except FileExistsError:
            pass
        try:
            child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        except OSError:
            os.close(fd)
            raise UnsafePath(f"archive member would be written through a link or file: {name!r}") from None
        os.close(fd)
        fd = child
    return fd, leaf


def _write_member(root_fd: int, name: str, kind: bytes, mode: int, data: bytes) -> None:
    parent_fd, leaf = _open_parent(root_fd, name)
    try:
        if kind == tarfile.DIRTYPE:
            try:
                os.mkdir(leaf, 0o755, dir_fd=parent_fd)
            except FileExistsError:
                pass
            return
        try:
            fd = os.open(leaf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode,
                         dir_fd=parent_fd)
        except OSError:
            raise UnsafePath(f"archive member would be written through a link: {name!r}") from None
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), mode)
    finally:
        os.close(parent_fd)
