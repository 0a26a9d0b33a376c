"""Property-based fuzzing of the live order book from its own OpenAPI description (schemathesis):
no input may get a 5xx, and every answer must match the description."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

SCHEMATHESIS = Path(__file__).resolve().parents[2] / ".venv-fuzz" / "bin" / "schemathesis"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_fuzzed_requests_get_no_5xx_and_match_the_description(book, tmp_path):
    assert SCHEMATHESIS.exists(), f"{SCHEMATHESIS} is missing: `make setup` installs schemathesis there"
    command = [str(SCHEMATHESIS), "run", book.url + "/openapi.json", "--checks", CHECKS,
               "--phases", "coverage,fuzzing", "--max-examples", "30", "--workers", "1", "--seed", "20261122",
               "--no-shrink", "--max-failures", "20", "--request-timeout", "30"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary + run.stderr[-2000:] + book.log.read_text()[-3000:]
    assert re.search(r"^\s*(\d+) generated, \1 passed\s*$", summary, re.MULTILINE), summary  # cases did run
    assert book.process.poll() is None
