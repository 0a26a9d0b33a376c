"""Names for machine architectures and operating systems, and what this host offers."""

from __future__ import annotations

import platform

_ARCH_ALIASES = {
    "x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64",
    "aarch64": "aarch64", "arm64": "aarch64",
    "i386": "x86", "i686": "x86", "x86": "x86",
    "armv7l": "arm", "arm": "arm",
    "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}
_OS_ALIASES = {"linux": "linux", "darwin": "macos", "macos": "macos", "macosx": "macos", "mac": "macos",
               "windows": "windows", "win32": "windows", "freebsd": "freebsd"}


def normalize_arch(value: str) -> str:
    """Canonical architecture name (X86_64 and AMD64 are the same machine)."""
    key = value.strip().lower()
    if key not in _ARCH_ALIASES:
        raise ValueError(f"unknown architecture {value!r}; known: {', '.join(sorted(set(_ARCH_ALIASES)))}")
    return _ARCH_ALIASES[key]


def normalize_os(value: str) -> str:
    key = value.strip().lower()
    if key not in _OS_ALIASES:
        raise ValueError(f"unknown operating system {value!r}; known: {', '.join(sorted(set(_OS_ALIASES)))}")
    return _OS_ALIASES[key]


def host_arch() -> str:
    return normalize_arch(platform.machine())


def host_os() -> str:
    return normalize_os(platform.system())
