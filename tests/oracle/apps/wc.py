#!/usr/bin/env python3
"""Test app: counts the bytes of the input file named in its first argument and hands the
count to the callback as one 32-byte word."""
import os
import sys

size = os.path.getsize(sys.argv[1])
print(size)
with open(os.environ["CUMULUS_CALLBACK_FILE"], "wb") as handle:
    handle.write(size.to_bytes(32, "big"))
