"""Deterministic result archives and safe unpacking.

Every worker must produce the same bytes from the same outputs, or honest replicates
would disagree: entries are sorted, owners, times and modes fixed, the tar is not
compressed (compressors differ between library versions), and symlinks are never followed.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

from .errors import UnsafePath

OUTPUT_PREFIX = "output"


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


def pack_result(stdout: bytes, stderr: bytes, exit_code: int, output_dir: Path | None) -> bytes:
    """Tar of stdout, stderr, exit_code and the output directory, identical for identical inputs."""
    parts: list[bytes] = []
    for name, data in (("exit_code", f"{exit_code}\n".encode()), ("stderr", stderr), ("stdout", stdout)):
        _member(parts, _header(name, len(data)), data)
    if output_dir is not None and output_dir.is_dir():
        _add_tree(parts, output_dir)
    parts.append(bytes(2 * tarfile.BLOCKSIZE))  # end of archive, without padding to 10 KiB records
    return b"".join(parts)


def _member(parts: list[bytes], header: bytes, data: bytes = b"") -> None:
    parts.append(header)
    if data:
        parts.append(data)
        parts.append(bytes(-len(data) % tarfile.BLOCKSIZE))


def _add_tree(parts: list[bytes], root: Path) -> None:
    root = root.resolve()
    _member(parts, _header(OUTPUT_PREFIX, kind=tarfile.DIRTYPE, mode=0o755))
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        for name in sorted(dirnames + filenames):
            path = here / name
            member = f"{OUTPUT_PREFIX}/{path.relative_to(root).as_posix()}"
            st = path.lstat()
            if stat.S_ISDIR(st.st_mode):
                _member(parts, _header(member, kind=tarfile.DIRTYPE, mode=0o755))
            elif stat.S_ISREG(st.st_mode):
                data = path.read_bytes()
                _member(parts, _header(member, len(data), mode=0o755 if st.st_mode & 0o111 else 0o644), data)
            elif stat.S_ISLNK(st.st_mode) and _link_stays_inside(root, path):
                _member(parts, _header(member, kind=tarfile.SYMTYPE, mode=0o777, linkname=os.readlink(path)))
            # Sockets, devices, and links leading out of the directory are left out.


def _link_stays_inside(root: Path, link: Path) -> bool:
    target = os.readlink(link)
    if os.path.isabs(target):
        return False
    resolved = os.path.normpath(os.path.join(os.path.dirname(link), target))
    return resolved == str(root) or resolved.startswith(str(root) + os.sep)


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


def unpack_result(archive: bytes, destination: Path) -> list[str]:
    """Unpack into `destination`, refusing any member that would land outside it."""
    destination.mkdir(parents=True, exist_ok=True)
    root = destination.resolve()
    written = []
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        for member in tar.getmembers():
            name = safe_member_name(member.name)
            target = (root / name).resolve()
            if target != root and root not in target.parents:
                raise UnsafePath(f"archive member escapes the destination: {member.name!r}")
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as dst:
                    dst.write(src.read())
                os.chmod(target, 0o755 if member.mode & 0o111 else 0o644)
            elif member.issym():
                link_target = os.path.normpath(os.path.join(os.path.dirname(name), member.linkname))
                if os.path.isabs(member.linkname) or link_target.startswith(".."):
                    raise UnsafePath(f"archive symlink points outside: {member.name!r}")
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():
                    os.symlink(member.linkname, target)
            else:
                raise UnsafePath(f"archive member of unsupported type: {member.name!r}")
            written.append(name)
    return written


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


def read_member(archive: bytes, name: str) -> bytes | None:
    """One member's bytes (e.g. 'stdout'), or None if absent."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        try:
            handle = tar.extractfile(name)
        except KeyError:
            return None
        return handle.read() if handle else None
