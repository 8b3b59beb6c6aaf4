"""Officers and their API tokens. A token is shown once when issued; only a keyed hash of it
(HMAC-SHA256 with the token pepper from the settings) is stored, so a copy of the database
does not let anyone in. Revocation takes effect at once, in every process. A token
expires (``JOINTCASE_TOKEN_LIFETIME_DAYS`` after it was issued) and can be rotated: a new token
for the same officer, whose id (the person every recorded event and every separation of duties
names) never changes.

Every change to the officers table is counted and announced (a trigger), so that a process that
keeps checked tokens in memory (`jointcase/token_cache.py`) forgets them at once; `revoke` and
`rotate` return only when every such process has confirmed it has."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from domain.errors import InvalidInput, NotFound
from domain.values import Actor, Role

DDL = (
    """CREATE TABLE IF NOT EXISTS jointcase_officers (
    officer_id text PRIMARY KEY,
    name text NOT NULL,
    county text NOT NULL,
    role text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
)""",
    "ALTER TABLE jointcase_officers ADD COLUMN IF NOT EXISTS token_issued_at timestamptz",
    # The number of changes to the officers table (one row), announced on every change.
    """CREATE TABLE IF NOT EXISTS jointcase_officers_changes (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    n bigint NOT NULL
)""",
    "INSERT INTO jointcase_officers_changes (one, n) VALUES (true, 0) ON CONFLICT DO NOTHING",
    """CREATE OR REPLACE FUNCTION jointcase_officers_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    UPDATE jointcase_officers_changes SET n = n + 1 RETURNING n INTO changed;
    PERFORM pg_notify('jointcase_officers_changed:' || TG_TABLE_SCHEMA, changed::text);
    RETURN NULL;
END
$$""",
    """CREATE OR REPLACE TRIGGER jointcase_officers_changed
AFTER UPDATE OR DELETE OR TRUNCATE ON jointcase_officers
FOR EACH STATEMENT EXECUTE FUNCTION jointcase_officers_changed()""",
    # The processes that keep checked tokens in memory: the last change each has forgotten
    # its tokens for, and its lease (renewed twice a second; lost with the process).
    """CREATE UNLOGGED TABLE IF NOT EXISTS jointcase_token_caches (
    cache_id text PRIMARY KEY,
    seen bigint NOT NULL,
    alive_at timestamptz NOT NULL
)""",
)
#: A revocation waits this long at most for the processes that cache tokens to confirm it.
CONFIRM_TIMEOUT = 10.0
#: Seconds after a cache sent its last lease renewal that it may still answer from memory; a
#: revocation does not wait for a cache whose lease is older (`jointcase/token_cache.py`).
FENCE = 2.0
#: Tokens issued before tokens expired count from the officer's creation.
ISSUED = "coalesce(token_issued_at, created_at)"
COLUMNS = f"officer_id, name, county, role, created_at, revoked_at, {ISSUED} AS token_issued_at"
DEFAULT_LIFETIME = timedelta(days=90)


class RevocationUnconfirmed(Exception):
    """A change to an officer was recorded, but not every process that caches tokens confirmed
    it in time."""


@dataclass(frozen=True)
class Officer:
    officer_id: str
    name: str
    county: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None
    token_issued_at: datetime | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.officer_id, self.county, self.role)


class OfficerStore:
    def __init__(
        self, pool: ConnectionPool, pepper: bytes, lifetime: timedelta = DEFAULT_LIFETIME
    ) -> None:
        self.pool = pool
        self.pepper = pepper
        self.lifetime = lifetime

    def create_table(self) -> None:
        with self.pool.connection() as conn:
            for statement in DDL:
                conn.execute(statement)

    def token_hash(self, token: str) -> bytes:
        return hmac.digest(self.pepper, token.encode(), "sha256")

    @staticmethod
    def channel(conn: Connection[Any]) -> str:
        """The notification channel that announces changes to this schema's officers."""
        row = conn.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.oid = 'jointcase_officers'::regclass"
        ).fetchone()
        return f"jointcase_officers_changed:{row[0] if row else 'public'}"

    @staticmethod
    def notifies_changes(conn: Connection[Any]) -> bool:
        """Whether this database announces changes to officers (`jointcase db init` was run
        by a version that installs the trigger)."""
        return (
            conn.execute(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'jointcase_officers_changed'"
                " AND tgrelid = to_regclass('jointcase_officers')"
            ).fetchone()
            is not None
        )

    def await_caches(self, timeout: float = CONFIRM_TIMEOUT) -> None:
        """Returns once every process that keeps checked tokens in memory, and holds a current
        lease, has forgotten them since the last change to the officers table. A process whose
        lease ran out no longer answers from memory (`jointcase/token_cache.py`)."""
        deadline = time.monotonic() + timeout
        pause = 0.002
        with self.pool.connection() as conn:
            if conn.execute("SELECT to_regclass('jointcase_token_caches')").fetchone() == (None,):
                return  # a database from before token caches: no process caches
            while True:
                row = conn.execute(
                    "SELECT count(*) FROM jointcase_token_caches"
                    " WHERE seen < (SELECT n FROM jointcase_officers_changes)"
                    " AND alive_at > now() - make_interval(secs => %s)",
                    (FENCE,),
                ).fetchone()
                if row is None or row[0] == 0:
                    return
                if time.monotonic() >= deadline:
                    raise RevocationUnconfirmed(
                        f"{row[0]} API process(es) did not confirm the change within "
                        f"{timeout:g} s; they stop answering from memory within {FENCE:g} s of "
                        "losing the database"
                    )
                time.sleep(pause)
                pause = min(pause * 2, 0.05)

    def add(
        self, county: str, role: Role | str, name: str, officer_id: str | None = None
    ) -> tuple[Officer, str]:
        try:
            role = Role(role)
        except ValueError:
            raise InvalidInput(
                f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}"
            ) from None
        if not name.strip():
            raise InvalidInput("an officer needs a name")
        officer_id = officer_id or f"{county}-{secrets.token_hex(4)}"
        token = f"jc_{secrets.token_urlsafe(32)}"
        now = datetime.now(UTC)
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO jointcase_officers (officer_id, name, county, role, token_hash,"
                " created_at, token_issued_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (officer_id, name.strip(), county, role.value, self.token_hash(token), now, now),
            )
        return Officer(officer_id, name.strip(), county, role, now, None, now), token

    def authenticate(self, token: str, now: datetime | None = None) -> Officer | None:
        """The officer whose token this is, unless revoked or expired (issued longer ago than
        the token lifetime)."""
        issued_after = (now or datetime.now(UTC)) - self.lifetime
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {COLUMNS} FROM jointcase_officers"
                f" WHERE token_hash = %s AND revoked_at IS NULL AND {ISSUED} > %s",
                (self.token_hash(token), issued_after),
            ).fetchone()
        return _officer(row) if row else None

    def rotate(self, officer_id: str) -> tuple[Officer, str]:
        """A new token for an active officer (shown once); the old one stops working at once.
        The officer's id stays the same, so every duty stays with the same person."""
        token = f"jc_{secrets.token_urlsafe(32)}"
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "UPDATE jointcase_officers SET token_hash = %s, token_issued_at = %s"
                f" WHERE officer_id = %s AND revoked_at IS NULL RETURNING {COLUMNS}",
                (self.token_hash(token), datetime.now(UTC), officer_id),
            ).fetchone()
        if row is None:
            raise NotFound(f"no active officer {officer_id}")
        self.await_caches()
        return _officer(row), token

    def expires_at(self, officer: Officer) -> datetime | None:
        return officer.token_issued_at + self.lifetime if officer.token_issued_at else None

    def list(self, include_revoked: bool = False) -> list[Officer]:
        query = f"SELECT {COLUMNS} FROM jointcase_officers"
        if not include_revoked:
            query += " WHERE revoked_at IS NULL"
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query + " ORDER BY county, created_at").fetchall()
        return [_officer(r) for r in rows]

    def revoke(self, officer_id: str) -> Officer:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "UPDATE jointcase_officers SET revoked_at = %s WHERE officer_id = %s AND revoked_at IS NULL"
                f" RETURNING {COLUMNS}",
                (datetime.now(UTC), officer_id),
            ).fetchone()
        if row is None:
            raise NotFound(f"no active officer {officer_id}")
        self.await_caches()
        return _officer(row)


def _officer(row: dict[str, Any]) -> Officer:
    return Officer(
        officer_id=row["officer_id"],
        name=row["name"],
        county=row["county"],
        role=Role(row["role"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        token_issued_at=row.get("token_issued_at"),
    )
