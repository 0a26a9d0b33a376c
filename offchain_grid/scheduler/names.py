"""Names people choose for apps and data: readable, and never mistaken for a uid."""

from __future__ import annotations

import re
import unicodedata

from ..errors import InvalidInput

_UID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)


def looks_like_uid(name: str) -> bool:
    """A uid in any case, with or without dashes: a name like that could pass for another object."""
    return _UID.fullmatch(name.strip()) is not None


def check_app_name(name: str) -> str:
    """The stripped name, or InvalidInput saying why it cannot be an app's name."""
    name = name.strip()
    if not name or len(name) > 128 or "/" in name or name.startswith("."):
        raise InvalidInput(f"invalid app name {name!r}: 1 to 128 characters, no '/', not starting with '.'")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise InvalidInput(f"invalid app name {name!r}: no control or invisible characters")
    if looks_like_uid(name):
        raise InvalidInput(f"invalid app name {name!r}: it looks like a uid, and apps are found by name or uid")
    return name
