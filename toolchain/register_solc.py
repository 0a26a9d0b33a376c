"""Register the pinned solc where py-solc-x (and so brownie) looks for installed compilers.

py-solc-x cannot download compilers on machines without access to its download host, so the
pinned version is served by a native `solc` on PATH when it has that exact version, and
otherwise by the npm compiler through the `solc-js` shim next to this file.
"""

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import solcx
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIM_MARKER = "# cumulus solc-js shim"


def pinned_version() -> str:
    config = yaml.safe_load((PROJECT_ROOT / "brownie-config.yaml").read_text())
    return str(config["compiler"]["solc"]["version"])


def reported_version(binary: str) -> str | None:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"Version: (\d+\.\d+\.\d+)", out)
    return match.group(1) if match else None


def native_solc(version: str) -> str | None:
    """A native compiler on PATH with exactly the pinned version, if there is one."""
    found = shutil.which("solc")
    if found and reported_version(found) == version:
        return found
    return None


def write_shim(target: Path) -> None:
    script = PROJECT_ROOT / "toolchain" / "solc-js"
    target.write_text(f'#!/bin/sh\n{SHIM_MARKER}\nexec node "{script}" "$@"\n')
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def register() -> str:
    version = pinned_version()
    target = solcx.get_solcx_install_folder() / f"solc-v{version}"
    native = native_solc(version)
    if native:
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to(native)
        return f"solc {version}: native compiler {native}"
    is_our_shim = target.is_file() and SHIM_MARKER in target.read_text(errors="ignore")
    if target.exists() and not is_our_shim and reported_version(str(target)) == version:
        return f"solc {version}: already installed at {target}"
    write_shim(target)
    if reported_version(str(target)) != version:
        sys.exit(f"solc-js did not report version {version}: run `npm ci` (package.json pins solc)")
    return f"solc {version}: npm compiler (solc-js) registered at {target}"


if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    print(register())
