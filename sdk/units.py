"""RLC amounts: the contracts count nRLC (10^-9 RLC, the token's 9 decimals); people write RLC."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .errors import SdkError

NRLC_PER_RLC = 10**9


def parse_rlc(text: str) -> int:
    """'1.5', '1.5 RLC' or '1500000000 nRLC' -> 1_500_000_000 (nRLC); never negative or finer than 1 nRLC."""
    raw = str(text).strip()
    unit = NRLC_PER_RLC
    for suffix, scale in (("nrlc", 1), ("rlc", NRLC_PER_RLC)):
        if raw.lower().endswith(suffix):
            raw, unit = raw[: -len(suffix)].strip(), scale
            break
    try:
        amount = Decimal(raw) * unit
    except InvalidOperation:
        raise SdkError(f"{text!r} is not an amount of RLC (e.g. 2.5 or 2500000000 nRLC)") from None
    if not amount.is_finite() or amount < 0 or amount != amount.to_integral_value():
        raise SdkError(f"{text!r} is not an amount of RLC: at least 0, in steps of 1 nRLC (0.000000001 RLC)")
    if amount >= 2**256:
        raise SdkError(f"{text!r} is not an amount of RLC: far above the token's whole supply")
    return int(amount)


def format_rlc(nrlc: int) -> str:
    """1_500_000_000 -> '1.5 RLC'."""
    text = f"{Decimal(nrlc) / NRLC_PER_RLC:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} RLC"
