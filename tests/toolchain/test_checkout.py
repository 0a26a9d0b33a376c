"""No state outside the checkout: its compiler is its own, and a path it cannot serve is refused in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "pragma solidity 0.8.30; contract A { function f() external pure returns (uint256) { return 1; } }"


def test_the_compiler_is_found_with_an_empty_home(tmp_path):
    """py-solc-x's folder is this checkout's (no ~/.solcx): another checkout, or its deletion, cannot matter."""
    env = {k: v for k, v in os.environ.items() if k != "SOLCX_BINARY_PATH"}
    env["HOME"] = str(tmp_path)
    code = ("import solcx; print(solcx.get_solcx_install_folder()); "
            f"print(list(solcx.compile_source({SOURCE!r}, output_values=['abi'], solc_version='0.8.30')))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    folder, contracts = done.stdout.splitlines()
    assert Path(folder).resolve().is_relative_to(ROOT)
    assert contracts == "['<stdin>:A']"
    assert list(tmp_path.iterdir()) == []  # nothing was written into the home folder


def test_a_dotted_checkout_path_is_refused_in_one_line_for_brownie_run(tmp_path):
    checkout = tmp_path / "src" / "cumulus.v2"
    (checkout / "toolchain").mkdir(parents=True)
    shutil.copy(ROOT / "toolchain" / "check_path.py", checkout / "toolchain")
    done = subprocess.run([sys.executable, str(checkout / "toolchain" / "check_path.py")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: `brownie run` cannot import scripts from {checkout}: the folder name 'cumulus.v2' holds a dot; "
        "move or rename the checkout"]
    warned = subprocess.run([sys.executable, str(checkout / "toolchain" / "check_path.py"), "--warn"],
                            capture_output=True, text=True, timeout=60)
    assert warned.returncode == 0 and warned.stderr.startswith("note: `brownie run` cannot import")


def test_a_plain_checkout_path_passes():
    done = subprocess.run([sys.executable, str(ROOT / "toolchain" / "check_path.py")],
                          capture_output=True, text=True, timeout=60)
    if "." in "".join(ROOT.parts[1:]):
        assert done.returncode == 1
    else:
        assert done.returncode == 0 and done.stderr == ""
