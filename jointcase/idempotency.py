"""Idempotency keys: a write retried with the same key returns the first response and records
nothing new; the same key with a different request is refused. A key is claimed in its own row
before the command runs, so two concurrent retries cannot both execute it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

DDL = """
CREATE TABLE IF NOT EXISTS jointcase_idempotency (
    officer_id text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    status_code integer,
    body bytea,
    headers jsonb,
    created_at timestamptz NOT NULL,
    pending bytea,  -- what the request was about to record (see Unsettled)
    pending_at timestamptz,
    PRIMARY KEY (officer_id, key)
)
"""
#: For a database whose table predates the columns that settle a write interrupted by a failover.
MIGRATION = (
    "ALTER TABLE jointcase_idempotency ADD COLUMN IF NOT EXISTS pending bytea, "
    "ADD COLUMN IF NOT EXISTS pending_at timestamptz"
)
#: An unfinished claim older than this is taken to be from a crashed request.
STALE_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    headers: dict[str, str]


class KeyReused(Exception):
    """The key was used for a different request."""


class KeyInProgress(Exception):
    """The first request with this key has not finished yet."""


@dataclass(frozen=True)
class Unsettled:
    """The first request with this key was about to commit when the database went away and
    has given up since: whether it was recorded is told by the events table (``pending`` is
    what it was about to record, as the API wrote it). The caller settles it (``settle``)."""

    pending: bytes
    pending_at: datetime


class IdempotencyStore:
    def __init__(
        self, pool: ConnectionPool, abandon_after: timedelta = timedelta(seconds=40)
    ) -> None:
        self.pool = pool
        #: How long after its last attempt a request that was about to commit has surely
        #: given up (its wait for the database and the library's own retries included).
        self.abandon_after = abandon_after

    def create_table(self) -> None:
        with self.pool.connection() as conn:
            conn.execute(DDL)

    def claim(
        self, officer_id: str, key: str, fingerprint: str
    ) -> StoredResponse | Unsettled | None:
        """Claims the key for this request; returns the stored response if it already ran, or
        what an interrupted first request was about to record (``Unsettled``)."""
        now = datetime.now(UTC)
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            inserted = cur.execute(
                "INSERT INTO jointcase_idempotency (officer_id, key, fingerprint, created_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING key",
                (officer_id, key, fingerprint, now),
            ).fetchone()
            if inserted:
                return None
            row = cur.execute(
                "SELECT fingerprint, status_code, body, headers, created_at, pending, pending_at"
                " FROM jointcase_idempotency"
                " WHERE officer_id = %s AND key = %s",
                (officer_id, key),
            ).fetchone()
            if row is None:  # released in between: try once more
                return self.claim(officer_id, key, fingerprint)
            if row["fingerprint"] != fingerprint:
                raise KeyReused
            if row["status_code"] is None:
                if row["pending_at"] is not None:
                    if now - row["pending_at"] > self.abandon_after:
                        return Unsettled(bytes(row["pending"]), row["pending_at"])
                    raise KeyInProgress
                if now - row["created_at"] > STALE_CLAIM:
                    cur.execute(
                        "UPDATE jointcase_idempotency SET created_at = %s WHERE officer_id = %s AND key = %s",
                        (now, officer_id, key),
                    )
                    return None
                raise KeyInProgress
            return StoredResponse(row["status_code"], bytes(row["body"]), dict(row["headers"]))

    def pending(self, officer_id: str, key: str, pending: bytes) -> None:
        """Keeps what the request is about to record, before it commits."""
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE jointcase_idempotency SET pending = %s, pending_at = %s"
                " WHERE officer_id = %s AND key = %s AND status_code IS NULL",
                (pending, datetime.now(UTC), officer_id, key),
            )

    def take_over(self, officer_id: str, key: str, unsettled: Unsettled) -> bool:
        """Claims an unsettled key whose first request was not recorded; False if another
        retry took it first."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "UPDATE jointcase_idempotency SET pending = NULL, pending_at = NULL,"
                " created_at = %s WHERE officer_id = %s AND key = %s AND status_code IS NULL"
                " AND pending_at = %s RETURNING key",
                (datetime.now(UTC), officer_id, key, unsettled.pending_at),
            ).fetchone()
        return row is not None

    def complete(self, officer_id: str, key: str, response: StoredResponse) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE jointcase_idempotency SET status_code = %s, body = %s, headers = %s"
                " WHERE officer_id = %s AND key = %s",
                (
                    response.status_code,
                    response.body,
                    json.dumps(response.headers),
                    officer_id,
                    key,
                ),
            )

    def release(self, officer_id: str, key: str) -> None:
        """Forgets a claim whose request was refused, so a corrected retry can run."""
        with self.pool.connection() as conn:
            conn.execute(
                "DELETE FROM jointcase_idempotency WHERE officer_id = %s AND key = %s AND status_code IS NULL",
                (officer_id, key),
            )
