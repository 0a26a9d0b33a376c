"""Register the pinned solc for this checkout only, where py-solc-x (and so brownie) finds it.

py-solc-x cannot download compilers on machines without access to its download host, so the
pinned version is served by a native `solc` on PATH when it has that exact version, and
otherwise by the npm compiler through the `solc-js` shim next to this file.

py-solc-x looks in $SOLCX_BINARY_PATH when it is set (else in the user's ~/.solcx, shared by
every checkout). The Makefile sets it to a folder inside this checkout's virtualenv, and this
script writes a `.pth` file into that virtualenv so that its Python (and so `brownie` typed by
hand) uses the same folder by default. Nothing is written outside the checkout: a second
checkout has its own compiler, and deleting one leaves the other working.
"""

import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIM_MARKER = "# cumulus solc-js shim"
PTH_NAME = "cumulus-solc.pth"


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


def write_pth(folder: Path) -> Path:
    """Makes `folder` the default compiler folder of this virtualenv's Python."""
    pth = Path(sysconfig.get_paths()["purelib"]) / PTH_NAME
    pth.write_text(f"import os; os.environ.setdefault('SOLCX_BINARY_PATH', {str(folder)!r})\n")
    return pth


def register(folder: Path) -> str:
    version = pinned_version()
    folder.mkdir(parents=True, exist_ok=True)
    write_pth(folder)
    target = folder / f"solc-v{version}"
    native = native_solc(version)
    if native:
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to(native)
        return f"solc {version}: native compiler {native}"
    write_shim(target)
    if reported_version(str(target)) != version:
        sys.exit(f"solc-js did not report version {version}: run `npm install` (package.json pins solc)")
    return f"solc {version}: npm compiler (solc-js), registered in {folder}"


if __name__ == "__main__":
    if not os.environ.get("SOLCX_BINARY_PATH"):
        sys.exit("SOLCX_BINARY_PATH is not set: run `make setup`")
    os.chdir(PROJECT_ROOT)
    print(register(Path(os.environ["SOLCX_BINARY_PATH"]).resolve()))
