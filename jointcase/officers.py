"""Officers and their API tokens. A token is shown once when issued; only a keyed hash of it
(HMAC-SHA256 with the token pepper from the settings) is stored, so a copy of the database
does not let anyone in. Revocation takes effect at once (lookups are not cached). A token
expires (``JOINTCASE_TOKEN_LIFETIME_DAYS`` after it was issued) and can be rotated: a new token
for the same officer, whose id (the person every recorded event and every separation of duties
names) never changes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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
)
#: Tokens issued before tokens expired count from the officer's creation.
ISSUED = "coalesce(token_issued_at, created_at)"
COLUMNS = f"officer_id, name, county, role, created_at, revoked_at, {ISSUED} AS token_issued_at"
DEFAULT_LIFETIME = timedelta(days=90)


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

    def _hash(self, token: str) -> bytes:
        return hmac.new(self.pepper, token.encode(), hashlib.sha256).digest()

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
                (officer_id, name.strip(), county, role.value, self._hash(token), now, now),
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
                (self._hash(token), issued_after),
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
                (self._hash(token), datetime.now(UTC), officer_id),
            ).fetchone()
        if row is None:
            raise NotFound(f"no active officer {officer_id}")
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
