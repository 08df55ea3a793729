"""Document uploads (PDF): checked by their magic bytes and size, kept byte for byte
under a name made from their content's SHA-256 (the name never comes from the user).

Unlike photos a PDF is not re-encoded: it is published as its author made it, and
served only as a download (``Content-Disposition: attachment``), never shown inline.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

__all__ = ["MAX_PDF_BYTES", "PDF_MAGIC", "DocumentError", "check_pdf", "is_pdf", "pdf_path", "write_named"]

PDF_MAGIC = b"%PDF-"
MAX_PDF_BYTES = 10 * 1024 * 1024
_KEY_RE = re.compile(r"[0-9a-f]{64}")


class DocumentError(ValueError):
    """A document we refuse: ``code`` is ``not_a_pdf`` or ``too_large`` (``params``
    carries ``size_mb`` and ``max_mb`` then)."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def is_pdf(data: bytes) -> bool:
    return data.startswith(PDF_MAGIC)


def check_pdf(data: bytes, max_bytes: int = MAX_PDF_BYTES) -> str:
    """The PDF's key (SHA-256 hex), or DocumentError when it is not one or too large."""
    if len(data) > max_bytes:
        raise DocumentError("too_large", size_mb=f"{len(data) / 1048576:.1f}", max_mb=max_bytes // 1048576)
    if not is_pdf(data):
        raise DocumentError("not_a_pdf")
    return hashlib.sha256(data).hexdigest()


def write_named(folder: Path, name: str, data: bytes) -> None:
    """Write ``data`` as ``folder/name`` through a temporary file renamed into place (a
    reader never sees half a file); a file already there is kept (same name, same content)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        return
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(temporary, target)


def pdf_path(folder: Path, key: str) -> Path:
    """Where the PDF of ``key`` lives; ValueError for a key that is not a SHA-256."""
    if not _KEY_RE.fullmatch(key):
        raise ValueError("not a document key")
    return folder / f"{key}.pdf"
