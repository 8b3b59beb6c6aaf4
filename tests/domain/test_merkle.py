"""RFC 9162 Merkle proofs: every inclusion and consistency proof of small trees checks, and a
proof against another root or place does not."""

from __future__ import annotations

import hashlib

from domain.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    perfect_parts,
    range_root,
    root,
    verify_consistency,
    verify_inclusion,
)


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def recursive_root(hashes: list[bytes]) -> bytes:
    """RFC 9162's definition, literally."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k << 1 < len(hashes):
        k <<= 1
    return node_hash(recursive_root(hashes[:k]), recursive_root(hashes[k:]))


def test_the_root_follows_rfc_9162() -> None:
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for n in range(1, 40):
        assert root(leaves(n)) == recursive_root(leaves(n))


def test_every_inclusion_proof_checks_and_only_where_it_belongs() -> None:
    for n in range(1, 34):
        hashes = leaves(n)
        head = root(hashes)
        for i in range(n):
            proof = inclusion_proof(i, hashes)
            assert verify_inclusion(i, n, hashes[i], proof, head)
            assert not verify_inclusion(i, n, leaf_hash(b"forged"), proof, head)
            if n > 1:
                assert not verify_inclusion((i + 1) % n, n, hashes[i], proof, head)


def test_every_consistency_proof_checks_and_a_rewritten_history_does_not() -> None:
    for n in range(1, 34):
        hashes = leaves(n)
        for m in range(1, n + 1):
            proof = consistency_proof(m, hashes)
            assert verify_consistency(m, n, root(hashes[:m]), root(hashes), proof)
            rewritten = [leaf_hash(b"other"), *hashes[1:]]
            if m < n:
                assert not verify_consistency(m, n, root(rewritten[:m]), root(hashes), proof)


def from_perfect_subtrees(hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every perfect subtree's hash by (level, index): what a store of the tree keeps."""
    out, level, row = {}, 0, list(hashes)
    while row:
        out.update({(level, i): h for i, h in enumerate(row)})
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
    return out


def test_proofs_made_from_stored_subtrees_equal_the_proofs_made_from_all_leaves() -> None:
    for n in range(1, 70):
        hashes = leaves(n)
        stored = from_perfect_subtrees(hashes)
        asked: list[tuple[int, int]] = []

        def perfect(level: int, index: int) -> bytes:
            asked.append((level, index))
            return stored[(level, index)]

        assert range_root(0, n, perfect) == root(hashes)
        assert sorted(asked) == sorted(perfect_parts(0, n))
        assert len(asked) <= n.bit_length()
        for i in range(n):
            path = [range_root(s, e, perfect) for s, e in inclusion_ranges(i, n)]
            assert path == inclusion_proof(i, hashes)
        for m in range(1, n + 1):
            path = [range_root(s, e, perfect) for s, e in consistency_ranges(m, n)]
            assert path == consistency_proof(m, hashes)
