"""How `xw adddocker` pins an image: an id given, the id a `docker save` tarball holds, or the id a
local Docker engine knows the name by (and, on request, that image saved to travel to workers)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import GridError
from ..images import is_image_id, normalize_image_id, read_saved_image


@contextmanager
def pinned_image(image: str, image_file: Path | None, upload: bool):
    """Yields (image id or None, tarball to upload or None). With neither a tarball nor an id, the
    local engine (DOCKER_HOST) resolves the name; `upload` saves the image from it to a temporary file."""
    if image_file is not None:
        try:
            saved = read_saved_image(image_file)
        except GridError as exc:
            raise click.ClickException(f"{image_file}: {exc}") from None
        if is_image_id(image) and normalize_image_id(image) != saved.image_id:
            raise click.ClickException(f"{image_file} holds image sha256:{saved.image_id}, not {image}")
        yield saved.image_id, image_file
        return
    image_id = normalize_image_id(image) if is_image_id(image) else _local_id(image)
    if not upload:
        yield image_id, None
        return
    with tempfile.TemporaryDirectory(prefix="xw-image-") as tmp:
        tarball = Path(tmp) / "image.tar"
        _docker("save", "--output", str(tarball), image, what=f"cannot save image {image!r}")
        yield image_id, tarball


def _local_id(image: str) -> str:
    found = _docker("image", "inspect", "--format", "{{.Id}}", image,
                    what=f"cannot pin image {image!r} (give its id sha256:<64 hex> or --image-file)")
    return normalize_image_id(found.strip())


def _docker(*args: str, what: str) -> str:
    try:
        proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=600, env=os.environ)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise click.ClickException(f"{what}: docker: {exc}") from None
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise click.ClickException(f"{what}: {lines[-1] if lines else f'docker exited {proc.returncode}'}")
    return proc.stdout
