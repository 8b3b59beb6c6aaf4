"""Evidence files: what the HTTP path costs over storing and reading the bytes directly, and how
much memory receiving an upload takes.

    .venv/bin/python -m bench.evidence [--sizes 1,8,32] [--rounds 3]

In one run and one database (PostgreSQL content store):
- upload: `POST /v1/cases/{id}/files` through the app in process (multipart parsing, hashing,
  spooling, type sniffing, the use case and its event), against the baseline of hashing the
  same bytes and `PostgresContent.put` of them (fresh content each time, so nothing dedupes);
- download: `GET .../files/{sha256}` (read and verified twice, streamed), against the baseline
  of reading the stored chunks once (`PostgresContent.read`);
- memory: the peak of Python allocations (tracemalloc) while `receive_upload` takes a body fed
  in 64 KiB pieces, as a server receives it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import time
import tracemalloc
from typing import Any

from fastapi.testclient import TestClient

from api.app import build_services, close_services, create_app
from api.uploads import receive_upload
from bench.common import bench_database, median, save
from jointcase.evidence_store import PostgresContent
from jointcase.storage import init_database

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
MIB = 1024 * 1024


def content(size: int) -> bytes:
    return JPEG + os.urandom(size - len(JPEG))


class _Request:
    """Just enough of a Starlette request for ``receive_upload``: headers and a body stream."""

    def __init__(self, body: bytes, boundary: str) -> None:
        self.headers = {
            "content-type": f"multipart/form-data; boundary={boundary}",
            "content-length": str(len(body)),
        }
        self._body = body

    async def stream(self) -> Any:
        view = memoryview(self._body)
        for start in range(0, len(view), 64 * 1024):
            yield bytes(view[start : start + 64 * 1024])


def receive_peak(size: int) -> float:
    """Peak MiB allocated while receiving an upload of ``size`` bytes (the body itself, which
    a server never holds whole, is allocated before tracing starts)."""
    boundary = "benchboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        ).encode()
        + content(size)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = _Request(body, boundary)
    tracemalloc.start()
    upload = asyncio.run(receive_upload(request, size + 1))  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert upload.staged().size == size
    upload.close()
    return peak / MIB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,8,32", help="file sizes in MiB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) * MIB for s in args.sizes.split(",")]
    results: dict[str, Any] = {"sizes_mib": [s // MIB for s in sizes], "rows": []}
    with bench_database("evidence") as settings:
        settings.evidence_max_bytes = max(sizes) + 1
        app, _ = init_database(settings)
        app.close()
        services = build_services(settings, run_projections=False)
        store = services.app.evidence_content
        assert isinstance(store, PostgresContent)
        try:
            token = services.officers.add("140221", "officer", "bench")[1]
            auth = {"Authorization": f"Bearer {token}"}
            client = TestClient(create_app(services=services), raise_server_exceptions=True)
            case = client.post(
                "/v1/cases", json={"case_type": "counterfeit", "title": "bench"}, headers=auth
            ).json()["id"]
            for size in sizes:
                timings: dict[str, list[float]] = {k: [] for k in ("put", "up", "read", "down")}
                for _ in range(args.rounds):
                    raw = content(size)
                    started = time.perf_counter()
                    digest = hashlib.sha256(raw).hexdigest()
                    store.put(digest, size, io.BytesIO(raw))
                    timings["put"].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    assert sum(len(c) for c in store.read(digest)) == size
                    timings["read"].append(time.perf_counter() - started)

                    raw = content(size)
                    started = time.perf_counter()
                    made = client.post(
                        f"/v1/cases/{case}/files", files={"file": ("a.jpg", raw)}, headers=auth
                    )
                    timings["up"].append(time.perf_counter() - started)
                    assert made.status_code == 201, made.text
                    started = time.perf_counter()
                    got = client.get(made.json()["file"]["download"], headers=auth)
                    timings["down"].append(time.perf_counter() - started)
                    assert got.status_code == 200 and len(got.content) == size
                row = {
                    "size_mib": size // MIB,
                    "baseline_put_s": median(timings["put"]),
                    "http_upload_s": median(timings["up"]),
                    "upload_ratio": median(timings["up"]) / median(timings["put"]),
                    "baseline_read_s": median(timings["read"]),
                    "http_download_s": median(timings["down"]),
                    "download_ratio": median(timings["down"]) / median(timings["read"]),
                    "receive_peak_mib": receive_peak(size),
                }
                results["rows"].append(row)
                print(
                    f"{row['size_mib']:>4} MiB  upload {row['http_upload_s']:.3f}s "
                    f"(x{row['upload_ratio']:.2f} of put {row['baseline_put_s']:.3f}s)  "
                    f"download {row['http_download_s']:.3f}s "
                    f"(x{row['download_ratio']:.2f} of read {row['baseline_read_s']:.3f}s)  "
                    f"receive peak {row['receive_peak_mib']:.1f} MiB"
                )
        finally:
            close_services(services)
    print(save("evidence", results))


if __name__ == "__main__":
    main()
