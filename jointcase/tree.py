"""The log's Merkle tree, kept: the hash of every complete subtree of 16 leaves and above, so
that a checkpoint's root and a proof cost O(log n) reads instead of a pass over every leaf.

Table ``jointcase_merkle``: one row per perfect subtree at level 4 and above (``node`` i of
``level`` l covers the leaves [i * 2**l, (i + 1) * 2**l), a leaf being the chain row of that rank;
``last_position`` is the position of its last leaf). Hashes below level 4 are made from the
chain rows of one block of 16 when a proof needs them, and so is the tail of the log that does
not yet fill a block. The table is extended from the chain table (``extend``): by the worker's
checkpoints and before anything is proven, never by the write path, so writes cost the same and
a chain written by the backfill or restored by an import is covered like any other.

It is a cache of the chain, never trusted over it: `audit verify` and an import recompute from
the events and the chain; a proof made from it is checked against its signed checkpoint before
it is answered; deleting the table's rows only makes the next ``extend`` rebuild them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.sql import SQL, Composed, Identifier

from domain.merkle import leaf_hash, leaf_of, node_hash, perfect_parts, range_root, root

BLOCK_LEVEL = 4
BLOCK = 1 << BLOCK_LEVEL
CHUNK = BLOCK * 4096  # chain rows per transaction while extending
_LOCK = 0x6A6D65726B6C65  # the advisory lock of extending: one extender at a time

DDL = (
    "CREATE TABLE IF NOT EXISTS jointcase_merkle ("
    " level smallint NOT NULL,"
    " node bigint NOT NULL,"
    " hash bytea NOT NULL,"
    " last_position bigint NOT NULL,"
    " PRIMARY KEY (level, node))",
    f"CREATE INDEX IF NOT EXISTS jointcase_merkle_blocks ON jointcase_merkle (last_position)"
    f" WHERE level = {BLOCK_LEVEL}",
)


class TreeError(ValueError):
    """The chain holds fewer leaves than the tree asked for."""


def _hashes(rows: Iterable[tuple[int, bytes]]) -> list[bytes]:
    return [leaf_hash(leaf_of(position, bytes(digest))) for position, digest in rows]


class StoredTree:
    """Reads and extends the kept tree; every method takes the caller's connection, so that a
    proof and its checkpoint are read in one snapshot."""

    def __init__(self, schema: str = "public") -> None:
        self.chain = SQL("{0}.{1}").format(Identifier(schema), Identifier("jointcase_chain"))
        self.table = SQL("{0}.{1}").format(Identifier(schema), Identifier("jointcase_merkle"))

    def _sql(self, text: str) -> Composed:
        return SQL(text).format(chain=self.chain, tree=self.table)

    # -- extending -------------------------------------------------------------------------

    def blocks(self, conn: psycopg.Connection[Any]) -> tuple[int, int]:
        """How many blocks of 16 leaves are kept, and the position of the last one's last leaf."""
        row = conn.execute(
            self._sql(
                "SELECT node, last_position FROM {tree} WHERE level = %s ORDER BY node DESC LIMIT 1"
            ),
            (BLOCK_LEVEL,),
        ).fetchone()
        return (row[0] + 1, row[1]) if row else (0, 0)

    def extend(self, conn: psycopg.Connection[Any]) -> int:
        """Adds the subtrees that the chain's new complete blocks make (one transaction per
        chunk, one extender at a time); answers how many leaves the kept blocks cover. The
        connection must not be in a transaction."""
        while True:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
                blocks, after = self.blocks(conn)
                rows = conn.execute(
                    self._sql(
                        "SELECT position, digest FROM {chain} WHERE position > %s"
                        " ORDER BY position LIMIT %s"
                    ),
                    (after, CHUNK),
                ).fetchall()
                if len(rows) < BLOCK:
                    return blocks * BLOCK
                self._add(conn, blocks, rows[: len(rows) // BLOCK * BLOCK])
            if len(rows) < CHUNK:
                return (blocks + len(rows) // BLOCK) * BLOCK

    def _add(self, conn: psycopg.Connection[Any], blocks: int, rows: Sequence[Any]) -> None:
        # The nodes still waiting for their right sibling: at each level whose count is odd.
        waiting = self._nodes(
            conn,
            [
                (level, (blocks >> (level - BLOCK_LEVEL)) - 1)
                for level in range(BLOCK_LEVEL, BLOCK_LEVEL + blocks.bit_length())
                if (blocks >> (level - BLOCK_LEVEL)) & 1
            ],
        )
        frontier = {level: h for (level, _), (h, _) in waiting.items()}
        new = []
        for start in range(0, len(rows), BLOCK):
            block = rows[start : start + BLOCK]
            level, node, last = BLOCK_LEVEL, blocks, block[-1][0]
            h = root(_hashes(block))
            blocks += 1
            while True:
                new.append((level, node, h, last))
                if node % 2 == 0:
                    frontier[level] = h
                    break
                h = node_hash(frontier.pop(level), h)
                level, node = level + 1, node >> 1
        with conn.cursor().copy(
            self._sql("COPY {tree} (level, node, hash, last_position) FROM STDIN")
        ) as copy:
            for row in new:
                copy.write_row(row)

    def _nodes(
        self, conn: psycopg.Connection[Any], keys: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], tuple[bytes, int]]:
        keys = list(keys)
        if not keys:
            return {}
        rows = conn.execute(
            self._sql(
                "SELECT level, node, hash, last_position FROM {tree}"
                " WHERE (level, node) IN (SELECT * FROM unnest(%s::smallint[], %s::bigint[]))"
            ),
            ([k[0] for k in keys], [k[1] for k in keys]),
        ).fetchall()
        return {(r[0], r[1]): (bytes(r[2]), r[3]) for r in rows}

    # -- reading a tree of a given size ----------------------------------------------------

    def leaves_after(
        self, conn: psycopg.Connection[Any], after: int, limit: int | None
    ) -> list[tuple[int, bytes]]:
        query = self._sql(
            "SELECT position, digest FROM {chain} WHERE position > %s ORDER BY position"
        )
        if limit is not None:
            query += SQL(" LIMIT {0}").format(limit)
        return [(p, bytes(d)) for p, d in conn.execute(query, (after,))]

    def block_of(self, conn: psycopg.Connection[Any], position: int) -> int | None:
        """The kept block whose leaves span this position (None: past the kept blocks)."""
        row = conn.execute(
            self._sql(
                "SELECT node FROM {tree} WHERE level = %s AND last_position >= %s"
                " ORDER BY last_position LIMIT 1"
            ),
            (BLOCK_LEVEL, position),
        ).fetchone()
        return row[0] if row else None

    def snapshot(self, conn: psycopg.Connection[Any], size: int) -> TreeOfSize:
        return TreeOfSize(self, conn, size, self.blocks(conn)[0])


class TreeOfSize:
    """The tree of the first ``size`` leaves as the caller's snapshot sees it: ``resolve`` the
    ranges a root or proof needs (one read of kept nodes, one of chain rows per block of 16
    involved), then ``hash`` each."""

    def __init__(self, tree: StoredTree, conn: psycopg.Connection[Any], size: int, kept: int):
        self.tree, self.conn, self.size = tree, conn, size
        self.kept = min(kept, size // BLOCK)  # the blocks this tree may take from the table
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.leaves: dict[int, tuple[int, bytes]] = {}  # rank -> (position, digest)

    def resolve(self, ranges: Iterable[tuple[int, int]], ranks: Iterable[int] = ()) -> None:
        """Reads what hashing these ranges (and knowing the leaves of these ranks) needs."""
        parts = {p for start, end in ranges for p in perfect_parts(start, end)}
        edge = self.kept * BLOCK
        kept = {
            (level, i)
            for level, i in parts
            if level >= BLOCK_LEVEL and (i + 1) << level <= edge and (level, i) not in self.nodes
        }
        made = [(level, i) for level, i in parts if (level, i) not in kept]
        blocks = {(i << level) >> BLOCK_LEVEL for level, i in made if (i + 1) << level <= edge}
        blocks |= {rank >> BLOCK_LEVEL for rank in ranks if rank < edge}
        tail = any((i + 1) << level > edge for level, i in made) or any(r >= edge for r in ranks)
        before = {b - 1 for b in blocks if b > 0} | (
            {self.kept - 1} if tail and self.kept else set()
        )
        wanted = kept | {(BLOCK_LEVEL, b) for b in before}
        found = self.tree._nodes(self.conn, wanted)
        missing = wanted - found.keys()
        if missing:
            raise TreeError(f"the kept Merkle tree lacks {sorted(missing)[0]}")
        self.nodes.update({k: h for k, (h, _) in found.items() if k in kept})

        def after(block: int) -> int:
            return found[(BLOCK_LEVEL, block - 1)][1] if block else 0

        for b in blocks:
            if b * BLOCK not in self.leaves:
                self._take(b * BLOCK, self.tree.leaves_after(self.conn, after(b), BLOCK), BLOCK)
        if tail and edge not in self.leaves:
            rest = self.size - edge
            self._take(edge, self.tree.leaves_after(self.conn, after(self.kept), rest), rest)

    def _take(self, first: int, rows: list[tuple[int, bytes]], expected: int) -> None:
        expected = min(expected, self.size - first)
        if len(rows) < expected:
            raise TreeError(
                f"the chain holds fewer than the {self.size} events of the tree: run `audit verify`"
            )
        self.leaves.update({first + i: row for i, row in enumerate(rows[:expected])})

    def _perfect(self, level: int, index: int) -> bytes:
        if (level, index) in self.nodes:
            return self.nodes[(level, index)]
        first = index << level
        return root(_hashes(self.leaves[r] for r in range(first, first + (1 << level))))

    def hash(self, start: int, end: int) -> bytes:
        return range_root(start, end, self._perfect)

    def rank_of(self, position: int) -> int | None:
        """The leaf index of the event at this position, from the leaves already resolved."""
        return next((r for r, (p, _) in self.leaves.items() if p == position), None)
