"""A lying worker for the tests: the real `xw worker`, except that every result it signs claims
another stdout (42 becomes 41), as a worker whose owner altered it would. Usage: the same
options as `xw worker`."""

import sys

from offchain_grid.cli import main
from offchain_grid.worker import runner

_honest_pack = runner.pack_result


def _lying_pack(stdout: bytes, *args, **kwargs) -> bytes:
    lie = stdout.replace(b"42", b"41") if b"42" in stdout else stdout + b"(altered)\n"
    return _honest_pack(lie, *args, **kwargs)


runner.pack_result = _lying_pack

if __name__ == "__main__":
    main(["worker", *sys.argv[1:]])
