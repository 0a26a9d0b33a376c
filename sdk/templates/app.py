#!/usr/bin/env python3
"""Grid app of SumDapp: prints the sum of its integer arguments and hands it to the dapp.

Run with the request's arguments (`3 4 5`); writes abi.encode(uint256 sum) to the file named
by $CUMULUS_CALLBACK_FILE, which the Hub passes to SumDapp._onTaskResult. Deterministic, and
only the standard library: it runs confined on any worker, and every replica must produce the
same bytes. A bad argument exits non-zero on every worker: the task fails and the user is refunded.
"""

import os
import sys

try:
    total = sum(int(argument) for argument in sys.argv[1:])
except ValueError as exc:
    sys.exit(f"not an integer: {exc}")
if not 0 <= total < 2**256:
    sys.exit(f"the sum {total} does not fit a uint256")
print(total)
with open(os.environ["CUMULUS_CALLBACK_FILE"], "wb") as callback:
    callback.write(total.to_bytes(32, "big"))  # abi.encode(uint256)
