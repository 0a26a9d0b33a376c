"""Contract ABIs and bytecode from brownie's build folder, compiled on first use if missing."""

from __future__ import annotations

import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path

from .errors import ArtifactsMissing

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = PROJECT_ROOT / "build" / "contracts"


def _compile() -> None:
    brownie = Path(os.sys.executable).with_name("brownie")
    env = dict(os.environ, PATH=f"{PROJECT_ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([str(brownie), "compile"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise ArtifactsMissing(f"`brownie compile` failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


@lru_cache(maxsize=None)
def artifact(name: str) -> dict:
    """The build artifact of contract `name` (abi, bytecode)."""
    path = BUILD_DIR / f"{name}.json"
    if not path.exists():
        _compile()
    if not path.exists():
        raise ArtifactsMissing(f"no artifact for {name} in build/contracts after compiling")
    return json.loads(path.read_text())


def abi(name: str) -> list:
    return artifact(name)["abi"]


def bytecode(name: str) -> str:
    return artifact(name)["bytecode"]
