"""Slither over the contracts, through the project's compiler, against the committed triage.

    .venv-slither/bin/python toolchain/slither_check.py     (or `make test-slither`)

Compiles with solc-js (the shim in toolchain/, standard-JSON input with brownie's settings),
runs slither's detectors, and fails on any high or medium finding that
toolchain/slither-triage.json does not list with its reason. A listed finding that no longer
appears is reported too, so that the triage stays exact.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TRIAGE = ROOT / "toolchain" / "slither-triage.json"
# what is deployed; contracts/testing holds deliberately hostile fixtures for the tests
SOURCES = ["contracts/hub/Hub.sol", "contracts/RLC.sol", "contracts/Task.sol", "contracts/examples/VanityAddress.sol"]
IMPACTS = {"High", "Medium"}


def standard_json() -> dict:
    """The compiler input brownie would give solc, as slither's standard-JSON platform takes it."""
    config = yaml.safe_load((ROOT / "brownie-config.yaml").read_text())["compiler"]
    return {
        "language": "Solidity",
        "sources": {path: {"urls": [path]} for path in SOURCES},
        "settings": {
            "remappings": config["solc"]["remappings"],
            "optimizer": config["solc"]["optimizer"],
            "evmVersion": config["evm_version"],
        },
    }


def findings() -> dict[str, str]:
    """High and medium findings outside the dependencies: {key: description}."""
    with tempfile.TemporaryDirectory(prefix="slither-") as tmp:
        source, report = Path(tmp) / "input.json", Path(tmp) / "report.json"
        source.write_text(json.dumps(standard_json()))
        done = subprocess.run(
            [str(Path(sys.executable).with_name("slither")), str(source), "--compile-force-framework", "solc-json",
             "--solc", str(ROOT / "toolchain" / "solc-js"), "--filter-paths", "node_modules",
             "--exclude-informational", "--exclude-low", "--exclude-optimization", "--json", str(report)],
            cwd=ROOT, capture_output=True, text=True, timeout=900,
        )
        if not report.exists():
            sys.exit(f"slither did not run:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        output = json.loads(report.read_text())
    if not output.get("success"):
        sys.exit(f"slither failed: {output.get('error')}")
    found = {}
    for result in output["results"].get("detectors", []):
        if result["impact"] in IMPACTS:
            found[key(result)] = result["description"].strip().splitlines()[0]
    return found


def key(result: dict) -> str:
    """A finding's name that survives edits elsewhere in the file: detector and first element."""
    element = result["elements"][0]
    fields = element.get("type_specific_fields", {})
    parent = fields.get("parent", {}).get("name")
    name = fields.get("signature") or element["name"]
    return f"{result['check']} {parent}.{name}" if parent else f"{result['check']} {name}"


def main() -> int:
    triage = {entry["finding"]: entry["reason"] for entry in json.loads(TRIAGE.read_text())}
    found = findings()
    new = {k: v for k, v in found.items() if k not in triage}
    gone = sorted(set(triage) - set(found))
    for finding in sorted(found):
        mark = "NEW " if finding in new else "ok  "
        print(f"{mark}{finding}")
    for finding in gone:
        print(f"GONE {finding} (listed in {TRIAGE.name} but no longer found: remove it)")
    if new:
        print(f"\n{len(new)} high or medium finding(s) neither fixed nor listed with a reason in {TRIAGE.name}:")
        for finding, description in new.items():
            print(f"  {finding}\n    {description}")
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
