"""Sample evidence files (real magic bytes, random bodies) and the upload helper the evidence
tests share."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from tests.api.conftest import Api

JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02"
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
ZIP_HEAD = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"


def jpeg(size: int = 4096) -> bytes:
    return JPEG_HEAD + os.urandom(max(0, size - len(JPEG_HEAD) - 2)) + b"\xff\xd9"


def pdf(size: int = 4096) -> bytes:
    return PDF_HEAD + os.urandom(max(0, size - len(PDF_HEAD) - 6)) + b"%%EOF\n"


def png(size: int = 4096) -> bytes:
    return PNG_HEAD + os.urandom(max(0, size - len(PNG_HEAD)))


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def upload(
    api: Api,
    role: str,
    county: str,
    path: str,
    content: bytes,
    name: str = "现场照片.jpg",
    declared: str = "image/jpeg",
    description: str | None = None,
    **headers: str,
) -> Any:
    data = {"description": description} if description is not None else None
    return api.client.post(
        path,
        files={"file": (name, content, declared)},
        data=data,
        headers=api.auth(role, county, **headers),
    )
