"""RLC amounts as people write them, in nRLC as the contracts count them."""

import pytest

from sdk.errors import SdkError
from sdk.units import format_rlc, parse_rlc


@pytest.mark.parametrize("text, nrlc", [
    ("1", 10**9), ("2.5", 2_500_000_000), ("2.5 RLC", 2_500_000_000), ("0.000000001", 1),
    ("1500000000 nRLC", 1_500_000_000), ("7nrlc", 7), ("0", 0),
])
def test_parse(text, nrlc):
    assert parse_rlc(text) == nrlc


@pytest.mark.parametrize("text", ["-1", "0.0000000001", "1.5 nRLC", "ten", "", "nan", "inf", "1e400"])
def test_refused(text):
    with pytest.raises(SdkError, match="is not an amount of RLC"):
        parse_rlc(text)


def test_format():
    assert [format_rlc(n) for n in (0, 1, 2_500_000_000, 10**9 * 87_000_000)] == [
        "0 RLC", "0.000000001 RLC", "2.5 RLC", "87000000 RLC"]
