"""docs/threat-model.md names a test for each thing a party can or cannot do: each must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_the_threat_model_names_exists():
    text = (ROOT / "docs" / "threat-model.md").read_text()
    named = set(re.findall(r"`((?:[\w/]+\.py::)?test_\w+)`", text))
    defined: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        for match in re.finditer(r"^def (test_\w+)", path.read_text(), re.M):
            defined.setdefault(match.group(1), []).append(path.relative_to(ROOT).as_posix())
    missing = []
    for name in sorted(named):
        where, _, function = name.rpartition("::")
        if not any(path.endswith(where) for path in defined.get(function, [])):
            missing.append(name)
    assert len(named) > 50
    assert missing == []
