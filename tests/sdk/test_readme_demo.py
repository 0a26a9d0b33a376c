"""`make demo` as the README's first command: run by a script, it answers once and ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_run_without_a_terminal_serves_one_request_and_ends(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    run = subprocess.run([sys.executable, "-m", "oracle.demo", "--workdir", str(tmp_path / "demo"), "--port", "0"],
                         cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = [line for line in run.stdout.splitlines() if line.startswith("found address: ")]
    assert found and found[0].split()[2].lower().startswith("0xc0de"), run.stdout[-3000:]
    assert "callback ok=True" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
