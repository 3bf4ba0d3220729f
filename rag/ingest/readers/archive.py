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


#: Zip-based formats: checked for their unpacked size before any reader opens them.
ARCHIVE_SUFFIXES = (".docx", ".odt", ".ofd")


def check_archive(path: Path, max_xml_bytes: int) -> None:
    """Refuse a zip whose parts unpack to more than the caps (an 87 KB DOCX whose XML expands to 15 MB
    kept an ingest busy for minutes). Sizes come from the zip directory; zipfile never reads past them."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        kind = path.suffix.lstrip(".").upper() or "archive"
        raise ReadError(f"corrupt or unsupported {kind} ({exc.__class__.__name__})") from exc
    xml = sum(i.file_size for i in infos if i.filename.lower().endswith((".xml", ".rels")))
    total = sum(i.file_size for i in infos)
    mb = 1024 * 1024
    if xml > max_xml_bytes or total > 20 * max_xml_bytes:
        raise ReadError(f"archive unpacks to {max(xml, total) / mb:.3g} MB "
                        f"({xml / mb:.3g} MB of XML), over the limit of {max_xml_bytes / mb:.3g} MB of XML "
                        f"(RAG_MAX_UNPACKED_MB; a zip bomb or an unusually large document)")
