"""Signed checkpoints of the log's Merkle tree, and proofs against them.

A checkpoint says: the first ``tree_size`` chained events, up to ``last_position``, have this
Merkle root (``domain.merkle``; a leaf is an event's position and chain digest), signed at
``issued_at`` with the chain key. Checkpoints are kept in ``jointcase_checkpoints`` and, above
all, outside: with a checkpoint and the public key alone, anyone can check an inclusion proof
(this event is in the log) or a consistency proof (a later log still contains the earlier one)
offline. The file formats are in docs/CHAIN.md."""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from domain.chain import ChainSigner, ChainVerifier
from domain.merkle import (
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    leaf_of,
    root,
    verify_consistency,
    verify_inclusion,
)
from jointcase.tree import BLOCK, StoredTree, TreeError, TreeOfSize
from jointcase.tree import DDL as TREE_DDL

CHECKPOINT = "jointcase-checkpoint"
INCLUSION = "jointcase-inclusion-proof"
CONSISTENCY = "jointcase-consistency-proof"
_CONTEXT = b"jointcase-checkpoint-v1\x00"

DDL = """CREATE TABLE IF NOT EXISTS jointcase_checkpoints (
    tree_size bigint PRIMARY KEY,
    last_position bigint NOT NULL,
    root bytea NOT NULL,
    issued_at timestamptz NOT NULL,
    signature bytea NOT NULL
)"""


class ProofError(ValueError):
    """A proof or checkpoint that cannot be made or does not check; the message says why."""


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    last_position: int
    root: bytes
    issued_at: datetime
    signature: bytes

    def message(self) -> bytes:
        return _message(self.tree_size, self.last_position, self.root, self.issued_at)

    def as_dict(self, verifier: ChainVerifier) -> dict[str, Any]:
        return {
            "format": CHECKPOINT,
            "version": 1,
            "tree_size": self.tree_size,
            "last_position": self.last_position,
            "root": self.root.hex(),
            "issued_at": self.issued_at.isoformat(),
            "key_id": verifier.key_id,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        try:
            if data.get("format") != CHECKPOINT:
                raise ProofError(f"not a {CHECKPOINT}")
            return cls(
                int(data["tree_size"]),
                int(data["last_position"]),
                bytes.fromhex(data["root"]),
                datetime.fromisoformat(data["issued_at"]),
                base64.b64decode(data["signature"], validate=True),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ProofError(f"not a checkpoint: {e}") from None

    def check(self, verifier: ChainVerifier) -> None:
        if not verifier.valid(self.message(), self.signature):
            raise ProofError(f"the checkpoint is not signed by key {verifier.key_id}")


def _message(size: int, last: int, tree_root: bytes, issued_at: datetime) -> bytes:
    return (
        _CONTEXT
        + size.to_bytes(8, "big")
        + last.to_bytes(8, "big")
        + tree_root
        + issued_at.astimezone(UTC).isoformat().encode()
    )


class Checkpoints:
    """Issues checkpoints and answers proofs, reading the chain table."""

    def __init__(self, conninfo: str, schema: str = "public") -> None:
        self.conninfo = conninfo
        self.chain = SQL("{0}.{1}").format(Identifier(schema), Identifier("jointcase_chain"))
        self.table = SQL("{0}.{1}").format(Identifier(schema), Identifier("jointcase_checkpoints"))
        self.tree = StoredTree(schema)

    def create_table(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(DDL)
            for statement in TREE_DDL:
                conn.execute(statement)

    def _leaves(self, conn: psycopg.Connection[Any], size: int | None) -> list[tuple[int, bytes]]:
        query = SQL("SELECT position, digest FROM {0} ORDER BY position").format(self.chain)
        if size is not None:
            query += SQL(" LIMIT {0}").format(size)
        return [(p, bytes(d)) for p, d in conn.execute(query)]

    def extend_tree(self) -> int:
        """Extends the kept tree over the chain's new complete blocks (answers the leaves kept)."""
        with psycopg.connect(self.conninfo) as conn:
            return self.tree.extend(conn)

    def issue(self, signer: ChainSigner, now: datetime) -> Checkpoint | None:
        """Signs the tree of the whole chain as it is now (nothing when it is empty or when
        the latest checkpoint already covers it). The kept tree is extended first, so the root
        costs O(log n) reads of it plus the chain rows past its last complete block."""
        with psycopg.connect(self.conninfo) as conn:
            self.tree.extend(conn)
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            blocks, after = self.tree.blocks(conn)
            tail = self.tree.leaves_after(conn, after, None)
            size = blocks * BLOCK + len(tail)
            latest = self._latest(conn)
            if not size or (latest and latest.tree_size == size):
                return None
            last = tail[-1][0] if tail else after
            tree = self.tree.snapshot(conn, size)
            tree.resolve([(0, size)])
            tree_root = tree.hash(0, size)
            signature = signer.sign(_message(size, last, tree_root, now))
            conn.execute(
                SQL("INSERT INTO {0} VALUES (%s, %s, %s, %s, %s)").format(self.table),
                (size, last, tree_root, now, signature),
            )
            conn.commit()
        return Checkpoint(size, last, tree_root, now, signature)

    def _latest(self, conn: psycopg.Connection[Any], size: int | None = None) -> Checkpoint | None:
        query = SQL("SELECT * FROM {0}").format(self.table)
        if size is not None:
            query += SQL(" WHERE tree_size = %s")
        query += SQL(" ORDER BY tree_size DESC LIMIT 1")
        row = conn.execute(query, (size,) if size is not None else ()).fetchone()
        return Checkpoint(row[0], row[1], bytes(row[2]), row[3], bytes(row[4])) if row else None

    def all(self) -> list[Checkpoint]:
        with psycopg.connect(self.conninfo) as conn:
            rows = conn.execute(SQL("SELECT * FROM {0} ORDER BY tree_size").format(self.table))
            return [Checkpoint(r[0], r[1], bytes(r[2]), r[3], bytes(r[4])) for r in rows]

    def check_against_log(self, checkpoint: Checkpoint, verifier: ChainVerifier) -> None:
        """The checkpoint is signed by this key and its root is the tree of the chain's first
        ``tree_size`` events (a restored or kept checkpoint still describes this log)."""
        checkpoint.check(verifier)
        with psycopg.connect(self.conninfo) as conn:
            leaves = self._leaves(conn, checkpoint.tree_size)
        if (
            len(leaves) != checkpoint.tree_size
            or leaves[-1][0] != checkpoint.last_position
            or root([leaf_hash(leaf_of(p, d)) for p, d in leaves]) != checkpoint.root
        ):
            raise ProofError(
                f"the checkpoint of tree size {checkpoint.tree_size} does not match the log"
            )

    def checkpoint(self, size: int | None = None) -> Checkpoint | None:
        """The latest checkpoint, or the one of this tree size."""
        with psycopg.connect(self.conninfo) as conn:
            return self._latest(conn, size)

    def _tree(self, conn: psycopg.Connection[Any], size: int) -> TreeOfSize:
        """The kept tree of ``size`` leaves, extended first when it lags (a restored log)."""
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        if self.tree.blocks(conn)[0] < size // BLOCK:
            conn.rollback()
            self.tree.extend(conn)
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        return self.tree.snapshot(conn, size)

    def inclusion(self, position: int, checkpoint: Checkpoint) -> dict[str, Any]:
        """The audit path of the event at ``position`` in the checkpoint's tree: O(log n) kept
        hashes and the chain rows of its block of 16; checked against the checkpoint's root
        before it is answered."""
        size = checkpoint.tree_size
        with psycopg.connect(self.conninfo) as conn:
            try:
                tree = self._tree(conn, size)
                block = self.tree.block_of(conn, position)
                first = (
                    block * BLOCK if block is not None and block < tree.kept else tree.kept * BLOCK
                )
                tree.resolve([], [first] if first < size else [])
                index = tree.rank_of(position)
                if index is None:
                    raise ProofError(f"no chained event at position {position} in the checkpoint")
                ranges = inclusion_ranges(index, size)
                tree.resolve(ranges)
                path = [tree.hash(start, end) for start, end in ranges]
            except TreeError as e:
                raise ProofError(str(e)) from None
            conn.rollback()
        digest = tree.leaves[index][1]
        if not verify_inclusion(
            index, size, leaf_hash(leaf_of(position, digest)), path, checkpoint.root
        ):
            raise ProofError("the chain no longer matches the checkpoint: run `audit verify`")
        return {
            "format": INCLUSION,
            "version": 1,
            "position": position,
            "leaf_index": index,
            "digest": digest.hex(),
            "tree_size": size,
            "root": checkpoint.root.hex(),
            "path": [h.hex() for h in path],
        }

    def consistency(self, first: Checkpoint, second: Checkpoint) -> dict[str, Any]:
        """The proof that the later checkpoint's tree contains the earlier one: O(log n) kept
        hashes; the later root is made again from the kept tree and must match."""
        if not 0 < first.tree_size <= second.tree_size:
            raise ProofError("the first checkpoint must not be larger than the second")
        size = second.tree_size
        ranges = consistency_ranges(first.tree_size, size)
        with psycopg.connect(self.conninfo) as conn:
            try:
                tree = self._tree(conn, size)
                tree.resolve([(0, size), *ranges])
                tree_root = tree.hash(0, size)
                path = [tree.hash(start, end) for start, end in ranges]
            except TreeError as e:
                raise ProofError(str(e)) from None
            conn.rollback()
        if tree_root != second.root:
            raise ProofError("the chain no longer matches the later checkpoint")
        return {
            "format": CONSISTENCY,
            "version": 1,
            "first_size": first.tree_size,
            "second_size": size,
            "path": [h.hex() for h in path],
        }


def check_inclusion(proof: dict[str, Any], checkpoint: Checkpoint, verifier: ChainVerifier) -> None:
    """Offline: the checkpoint is signed by the key and the proof puts the event in it."""
    checkpoint.check(verifier)
    try:
        ok = (
            proof.get("format") == INCLUSION
            and int(proof["tree_size"]) == checkpoint.tree_size
            and verify_inclusion(
                int(proof["leaf_index"]),
                checkpoint.tree_size,
                leaf_hash(leaf_of(int(proof["position"]), bytes.fromhex(proof["digest"]))),
                [bytes.fromhex(h) for h in proof["path"]],
                checkpoint.root,
            )
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ProofError(f"not an inclusion proof: {e}") from None
    if not ok:
        raise ProofError("the event is not in the checkpoint's tree")


def check_consistency(
    proof: dict[str, Any], first: Checkpoint, second: Checkpoint, verifier: ChainVerifier
) -> None:
    """Offline: both checkpoints are signed and the later tree contains the earlier one."""
    first.check(verifier)
    second.check(verifier)
    try:
        ok = (
            proof.get("format") == CONSISTENCY
            and (int(proof["first_size"]), int(proof["second_size"]))
            == (first.tree_size, second.tree_size)
            and verify_consistency(
                first.tree_size,
                second.tree_size,
                first.root,
                second.root,
                [bytes.fromhex(h) for h in proof["path"]],
            )
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ProofError(f"not a consistency proof: {e}") from None
    if not ok:
        raise ProofError("the later checkpoint does not contain the earlier one: history rewritten")


def issue_every(
    checkpoints: Checkpoints, signer: ChainSigner, seconds: int, stopping: threading.Event
) -> threading.Thread:
    """The worker's checkpoints: one at start, then one every ``seconds`` while the log grows,
    until ``stopping`` is set. A failed attempt is logged and tried again at the next turn."""

    def run() -> None:
        log = logging.getLogger("jointcase.checkpoints")
        while True:
            try:
                issued = checkpoints.issue(signer, datetime.now(UTC))
                if issued is not None:
                    log.info("checkpoint", extra={"tree_size": issued.tree_size})
            except psycopg.Error as e:
                log.warning("checkpoint failed: %s", e)
            if stopping.wait(seconds):
                return

    thread = threading.Thread(target=run, name="checkpoints", daemon=True)
    thread.start()
    return thread
