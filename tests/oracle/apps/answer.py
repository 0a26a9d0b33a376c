#!/usr/bin/env python3
"""Test app: prints the answer and hands it to the callback as one 32-byte word."""
import os

answer = 42
print(answer)
with open(os.environ["CUMULUS_CALLBACK_FILE"], "wb") as handle:
    handle.write(answer.to_bytes(32, "big"))
