"""The one place zip-based formats (DOCX, OFD) are opened, so size caps apply to all of them."""

from __future__ import annotations

import zipfile
from pathlib import Path

from rag.ingest.readers.base import ReadError

#: Uncompressed size above which a member is refused (zip bombs); generous for reports.
MAX_MEMBER_BYTES = 200 * 1024 * 1024


def open_zip(path: Path, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"corrupt or unsupported {kind} (not a zip archive)") from exc


def read_member(archive: zipfile.ZipFile, name: str, kind: str) -> bytes:
    """One member's bytes, refusing members that inflate beyond the cap."""
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise ReadError(f"corrupt {kind}: '{name}' is missing") from exc
    if info.file_size > MAX_MEMBER_BYTES:
        raise ReadError(f"{kind} member '{name}' is too large when unpacked")
    try:
        with archive.open(info) as f:
            data = f.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ReadError(f"corrupt {kind} ({exc.__class__.__name__})") from exc
    if len(data) > MAX_MEMBER_BYTES:
        raise ReadError(f"{kind} member '{name}' is too large when unpacked")
    return data
