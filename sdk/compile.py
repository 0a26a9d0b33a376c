"""A dapp's Solidity source compiled as brownie compiles the project (this checkout's solc,
its version, optimizer, EVM version and remappings), for deploying it without brownie."""

from __future__ import annotations

from pathlib import Path

import solcx
import yaml

from oracle.artifacts import PROJECT_ROOT

from .errors import SdkError


def compiler_settings() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "brownie-config.yaml").read_text())["compiler"]


def compile_file(source: Path, name: str | None = None) -> dict:
    """{"abi", "bytecode"} of contract `name` (default: the file's stem) in `source`."""
    source = source.resolve()
    try:
        unit = source.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:  # a dapp kept elsewhere compiles as if it were in contracts/dapps/
        unit = f"contracts/dapps/{source.name}"
    name = name or source.stem
    settings = compiler_settings()
    solc = settings["solc"]
    request = {
        "language": "Solidity",
        "sources": {unit: {"content": source.read_text()}},
        "settings": {
            "optimizer": solc["optimizer"], "evmVersion": settings["evm_version"],
            "remappings": [r.replace("=", "=" + str(PROJECT_ROOT) + "/", 1) for r in solc.get("remappings", [])],
            "outputSelection": {unit: {name: ["abi", "evm.bytecode.object"]}},
        },
    }
    try:
        output = solcx.compile_standard(request, solc_version=str(solc["version"]), base_path=str(PROJECT_ROOT),
                                        allow_paths=[str(PROJECT_ROOT)])
    except solcx.exceptions.SolcError as exc:
        raise SdkError(f"{unit} does not compile: {_first_error(exc)}") from None
    compiled = output.get("contracts", {}).get(unit, {}).get(name)
    if not compiled or not compiled["evm"]["bytecode"]["object"]:
        raise SdkError(f"{unit} has no deployable contract {name!r}")
    return {"abi": compiled["abi"], "bytecode": "0x" + compiled["evm"]["bytecode"]["object"]}


def _first_error(exc: Exception) -> str:
    for error in getattr(exc, "error_dict", None) or []:
        if error.get("severity") == "error":
            return error.get("formattedMessage", error.get("message", "")).strip().splitlines()[0]
    return str(exc).strip().splitlines()[0]
