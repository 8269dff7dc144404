"""Sample files of each format, and packages zipped from the sample folders."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

FILES = Path(__file__).parent / "files"


def zipped(folder: str) -> bytes:
    """The folder as a zip, the way an export tool writes its content package."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for path in sorted((FILES / folder).rglob("*")):
            if path.is_file():
                package.write(path, path.relative_to(FILES / folder).as_posix())
    return out.getvalue()


def sample(name: str) -> bytes:
    return (FILES / name).read_bytes()
