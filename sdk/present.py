"""Contract values as people read them: bytes as 0x-hex, amounts in RLC, times as dates."""

from __future__ import annotations

import time

from .units import format_rlc

AMOUNT_WORDS = ("price", "reward", "amount", "pay", "fee", "stake", "balance", "earnings")
TIME_WORDS = ("deadline", "requestedat", "unlockat")


def readable(name: str, value) -> str:
    """One value of an event or a struct, by its field name."""
    key = name.lower()
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return ", ".join(readable(name, item) for item in value) or "-"
    if isinstance(value, bool) or not isinstance(value, int):
        return str(value)
    if any(word in key for word in AMOUNT_WORDS) and "gas" not in key and "bps" not in key:
        return format_rlc(value)
    if key in TIME_WORDS and value > 10**9:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(value))
    return str(value)


def plain(value):
    """A JSON-ready copy: bytes as 0x-hex, web3's structures as dicts and lists."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if hasattr(value, "items"):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
