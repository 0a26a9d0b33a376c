"""A dapp from the template (its contract and its grid app), and its deployment from source."""

from __future__ import annotations

from pathlib import Path

from web3 import Web3

from oracle.deployment import transact

from .chain import Chain
from .compile import compile_file
from .errors import SdkError

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "SumDapp"


def render(name: str) -> tuple[str, str]:
    """The template's contract and app, for a dapp called `name`."""
    if not name.isidentifier() or not name[0].isupper():
        raise SdkError(f"{name!r} is not a contract name (a letter, then letters, digits or _; capitalised)")
    lower_camel = name[0].lower() + name[1:]
    contract = (TEMPLATES / "Dapp.sol").read_text().replace(TEMPLATE_NAME, name)
    contract = contract.replace(TEMPLATE_NAME[0].lower() + TEMPLATE_NAME[1:], lower_camel)
    app = (TEMPLATES / "app.py").read_text().replace(TEMPLATE_NAME, name)
    return contract, app


def paths_for(name: str, root: Path) -> tuple[Path, Path]:
    """Where the dapp's contract and app go under `root` (a checkout, or any folder)."""
    return root / "contracts" / "dapps" / f"{name}.sol", root / "apps" / name.lower() / f"{name.lower()}.py"


def write_new(name: str, root: Path) -> tuple[Path, Path]:
    contract, app = render(name)
    contract_path, app_path = paths_for(name, root)
    taken = [str(p) for p in (contract_path, app_path) if p.exists()]
    if taken:
        raise SdkError(f"{', '.join(taken)} already exist{'s' if len(taken) == 1 else ''}: choose another name")
    contract_path.parent.mkdir(parents=True, exist_ok=True)
    app_path.parent.mkdir(parents=True, exist_ok=True)
    contract_path.write_text(contract)
    app_path.write_text(app)
    app_path.chmod(0o755)
    return contract_path, app_path


def deploy(chain: Chain, account, source: Path, args: list, name: str | None = None, on_wait=None) -> str:
    """Compiles `source` and deploys its contract with (hub, *args); returns its address."""
    compiled = compile_file(source, name)
    factory = chain.w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
    constructor = next((e for e in compiled["abi"] if e["type"] == "constructor"), {"inputs": []})
    if len(constructor["inputs"]) != len(args) + 1:
        wanted = ", ".join(f"{i['type']} {i['name']}" for i in constructor["inputs"][1:])
        raise SdkError(f"{source.name}'s constructor takes the Hub, then ({wanted}): give those with --arg")
    values = [_typed(text, entry["type"]) for text, entry in zip(args, constructor["inputs"][1:])]
    receipt = transact(chain.w3, account, factory.constructor(chain.deployment.hub, *values), on_wait=on_wait)
    return receipt["contractAddress"]


def _typed(text: str, abi_type: str):
    if abi_type.startswith(("uint", "int")):
        try:
            return int(text, 0)
        except ValueError:
            raise SdkError(f"{text!r} is not an integer ({abi_type})") from None
    if abi_type == "address":
        if not Web3.is_address(text):
            raise SdkError(f"{text!r} is not an address")
        return Web3.to_checksum_address(text)
    if abi_type == "bool":
        return text.lower() in ("1", "true", "yes")
    return text
