"""The media type of a file, told by its content (magic bytes), never by its name or by what
the client declares. Uses ``filetype`` (pure Python, no C library to install): its matchers cover
the scans and photos kept as evidence (JPEG, PNG, TIFF, WebP, HEIC, PDF) and many more."""

from __future__ import annotations

import filetype

#: How much of the start of a file the matchers read.
SNIFF_BYTES = 8192


def media_type_of(head: bytes) -> str | None:
    """The media type the content's first bytes show, or None when none is recognised."""
    kind = filetype.guess(head[:SNIFF_BYTES])
    return str(kind.mime) if kind is not None else None
