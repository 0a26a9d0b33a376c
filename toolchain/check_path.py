"""Refuse, in one line, to run `brownie run` from a checkout whose path has a dot in a folder name.

brownie imports a script under a module name made of every folder of its absolute path
(`/home/me/cumulus.v2/scripts/deploy.py` -> `home.me.cumulus.v2.scripts.deploy`), which
cannot be imported when a folder name holds a dot. Everything else in the project (the demo,
the `cumulus` and `oracle` commands, the tests) works from such a path.
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def dotted_folder(path: Path) -> str | None:
    """The first folder of `path` whose name holds a dot, if any."""
    return next((part for part in path.parts[1:] if "." in part), None)


def problem(path: Path = PROJECT_ROOT) -> str | None:
    folder = dotted_folder(path)
    if folder is None:
        return None
    return (f"`brownie run` cannot import scripts from {path}: the folder name {folder!r} holds a dot; "
            "move or rename the checkout")


if __name__ == "__main__":
    message = problem()
    if message:
        warn_only = "--warn" in sys.argv[1:]
        print(("note: " if warn_only else "error: ") + message, file=sys.stderr)
        sys.exit(0 if warn_only else 1)
