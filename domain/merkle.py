"""A Merkle tree over the log (RFC 9162, section 2.1): leaf hash sha256(0x00 || leaf), node
hash sha256(0x01 || left || right), the tree of n leaves split at the largest power of two
below n. A leaf is an event's position (8 bytes, big-endian) and its chain digest, so a proof
binds the event's stored bytes to its place in the log. Inclusion and consistency proofs, and
their checks, need nothing but hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_of(position: int, digest: bytes) -> bytes:
    return position.to_bytes(8, "big") + digest


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def root(hashes: Sequence[bytes]) -> bytes:
    """The tree head of these leaf hashes (iterative: levels of pairs, odd ones carried up,
    which gives the same tree as RFC 9162's recursive split)."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``hashes`` (RFC 9162 2.1.3.1)."""
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, hashes[:k]), root(hashes[k:])]
    return [*inclusion_proof(index - k, hashes[k:]), root(hashes[:k])]


def consistency_proof(m: int, hashes: Sequence[bytes]) -> list[bytes]:
    """The proof that the tree of the first ``m`` leaves is a prefix (RFC 9162 2.1.4.1)."""
    n = len(hashes)
    if not 0 < m <= n:
        raise ValueError(f"no consistency proof from {m} to {n}")
    return _subproof(m, hashes, True)


def _subproof(m: int, hashes: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if whole else [root(hashes)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, hashes[:k], whole), root(hashes[k:])]
    return [*_subproof(m - k, hashes[k:], False), root(hashes[:k])]


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does ``proof`` put ``leaf`` (a leaf hash) at ``index`` of the tree?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    m: int, n: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree of size ``m`` a prefix of the tree of size ``n``?"""
    if not 0 < m <= n:
        return False
    if m == n:
        return not proof and first_root == second_root
    path = list(proof)
    if m & (m - 1) == 0:  # m is a power of two: its root is the first node
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# Proofs from stored subtrees. A perfect subtree is named by its level and index: (level, i)
# covers leaves [i * 2**level, (i + 1) * 2**level). Every subtree of RFC 9162's tree is a range
# [start, end) whose start is a multiple of a power of two at least its size; its hash is made
# from O(log n) perfect subtrees, so a store of perfect subtrees answers roots and proofs with
# O(log n) reads. The functions below say which ranges a proof holds, which perfect subtrees a
# range needs, and how to combine them; where the hashes come from is the caller's business.

Range = tuple[int, int]
Perfect = tuple[int, int]


def perfect_parts(start: int, end: int) -> list[Perfect]:
    """The perfect subtrees (level, index) that make the range's hash, left to right."""
    parts = []
    while start < end:
        n = end - start
        level = n.bit_length() - 1  # the largest power of two not above n
        parts.append((level, start >> level))
        start += 1 << level
    return parts


def range_root(start: int, end: int, perfect: Callable[[int, int], bytes]) -> bytes:
    """MTH of the leaves [start, end), from the hashes of its perfect parts."""
    n = end - start
    if n <= 0:
        raise ValueError(f"no tree over [{start}, {end})")
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return perfect(level, start >> level)
    k = _split(n)
    return node_hash(perfect(k.bit_length() - 1, start // k), range_root(start + k, end, perfect))


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes are the audit path of leaf ``index`` (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    out, start, end = [], 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    return out[::-1]


def consistency_ranges(m: int, size: int) -> list[Range]:
    """The ranges whose hashes prove that the tree of ``m`` leaves is a prefix (2.1.4.1)."""
    if not 0 < m <= size:
        raise ValueError(f"no consistency proof from {m} to {size}")
    out, start, end, whole = [], 0, size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
            m -= k
            whole = False
    if not whole:
        out.append((start, end))
    return out[::-1]
