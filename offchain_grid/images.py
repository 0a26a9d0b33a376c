"""Docker images pinned by their id: the sha256 of the image's configuration, which names every
layer by its content. A `docker save` tarball says which image it holds; an engine computes the
same id when it loads it, so the id is the one checksum a Docker app needs."""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInput

_IMAGE_ID = re.compile(r"(?:sha256:)?([0-9a-f]{64})")


def normalize_image_id(value: str) -> str:
    """64 lowercase hex digits from `sha256:<hex>` or `<hex>`; InvalidInput otherwise."""
    match = _IMAGE_ID.fullmatch(value.strip().lower())
    if match is None:
        raise InvalidInput(f"a Docker image id is sha256:<64 hex digits>, not {value[:100]!r}")
    return match.group(1)


def is_image_id(value: str) -> bool:
    return _IMAGE_ID.fullmatch(value.strip().lower()) is not None


@dataclass(frozen=True)
class SavedImage:
    """The one image a `docker save` tarball holds."""

    image_id: str  # 64 hex, no prefix
    tags: tuple[str, ...]  # the names it was saved under
    volumes: tuple[str, ...]  # VOLUME paths its configuration declares


def read_saved_image(tarball: Path) -> SavedImage:
    """The image in a `docker save` tarball (legacy or OCI layout); InvalidInput if it holds not exactly one."""
    try:
        with tarfile.open(tarball, mode="r:") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            if not isinstance(manifest, list) or len(manifest) != 1:
                raise InvalidInput("the image tarball must hold exactly one image (docker save IMAGE)")
            config = tar.extractfile(manifest[0]["Config"]).read(16 << 20)
            tags = tuple(str(t) for t in manifest[0].get("RepoTags") or ())
    except InvalidInput:
        raise
    except (tarfile.TarError, KeyError, TypeError, ValueError, AttributeError, OSError) as exc:
        raise InvalidInput(f"not a Docker image tarball (docker save): {str(exc)[:200]}") from None
    try:
        volumes = tuple(sorted((json.loads(config).get("config") or {}).get("Volumes") or {}))
    except (ValueError, AttributeError):
        raise InvalidInput("the image tarball's configuration is not valid JSON") from None
    return SavedImage(hashlib.sha256(config).hexdigest(), tags, volumes)
