"""Reading evidence back: the content streams only as far as it can be trusted. The last chunk is
held back until the whole content matches the recorded hash and size, so a reader of a changed
file never receives a complete answer."""

from __future__ import annotations

import hashlib

import pytest

from service.evidence import EvidenceCorrupted, verified

CHUNKS = [b"a" * 10, b"b" * 10, b"c" * 5]
CONTENT = b"".join(CHUNKS)
DIGEST = hashlib.sha256(CONTENT).hexdigest()


def test_matching_content_streams_whole_in_its_chunks():
    assert list(verified(iter(CHUNKS), DIGEST, len(CONTENT))) == CHUNKS


@pytest.mark.parametrize(
    "stored",
    [
        [b"a" * 10, b"b" * 10, b"c" * 4 + b"X"],  # changed in its last bytes
        [b"a" * 10, b"b" * 10],  # a chunk missing
        [*CHUNKS, b"d"],  # something appended
        [],  # nothing stored at all
    ],
)
def test_changed_content_stops_before_its_last_chunk(stored):
    received: list[bytes] = []
    with pytest.raises(EvidenceCorrupted):
        for chunk in verified(iter(stored), DIGEST, len(CONTENT)):
            received.append(chunk)
    assert b"".join(received) != CONTENT
    assert len(received) < max(len(stored), 1)
