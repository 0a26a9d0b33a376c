"""How a request's `params` bytes become the app's command-line arguments: decoded as UTF-8
(an invalid byte becomes U+FFFD), then split as a POSIX shell splits words (quotes group,
backslashes escape; no variables, globs or redirections). `--size 3 'two words'` runs the app
with the three arguments `--size`, `3` and `two words`."""

from __future__ import annotations

import shlex


def app_arguments(params: bytes | str) -> list[str]:
    """The app's arguments; ValueError (e.g. an unclosed quote) when there are none to give."""
    text = params.decode("utf-8", errors="replace") if isinstance(params, bytes) else params
    return shlex.split(text)
