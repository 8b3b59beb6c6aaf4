"""Sign-in for people (the operator console): a login name and an argon2 password on the officer
record (the same officer id as its API token, so every duty stays with the same person), an
optional TOTP second factor, server-side sessions (only a hash of the cookie value is stored),
and failed attempts recorded and slowed down per login name and per client address.

A TOTP secret is kept sealed with the informant key (``InformantCipher.seal_secret``), bound to
its officer: the table never holds the base32 seed. A seed stored in the clear by an earlier
version is sealed by `jointcase db init` (``seal_plain_totp``) and, until then, still read and
sealed on its first use.

Machines keep their bearer tokens (``jointcase.officers``); this module only adds columns to the
officers' table and two tables of its own."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from domain.errors import InvalidInput, NotFound
from domain.informants import InformantCipher
from jointcase.officers import COLUMNS, Officer, _officer

log = logging.getLogger("jointcase.signin")

DDL = (
    "ALTER TABLE jointcase_officers ADD COLUMN IF NOT EXISTS login text",
    "ALTER TABLE jointcase_officers ADD COLUMN IF NOT EXISTS password_hash text",
    "ALTER TABLE jointcase_officers ADD COLUMN IF NOT EXISTS totp_secret text",
    "ALTER TABLE jointcase_officers ADD COLUMN IF NOT EXISTS totp_pending text",
    "CREATE UNIQUE INDEX IF NOT EXISTS jointcase_officers_login ON jointcase_officers (login)",
    """CREATE TABLE IF NOT EXISTS jointcase_console_sessions (
        session_hash bytea PRIMARY KEY,
        officer_id text NOT NULL,
        csrf text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS jointcase_console_sessions_officer"
    " ON jointcase_console_sessions (officer_id)",
    """CREATE TABLE IF NOT EXISTS jointcase_signin_failures (
        at timestamptz NOT NULL,
        login text NOT NULL,
        client text NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS jointcase_signin_failures_login"
    " ON jointcase_signin_failures (login, at)",
    "CREATE INDEX IF NOT EXISTS jointcase_signin_failures_client"
    " ON jointcase_signin_failures (client, at)",
)

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)
#: Failures counted over this window; past the free attempts the next one waits 30 s after the
#: last failure, and each further failure doubles the wait (at most 15 minutes).
WINDOW = timedelta(minutes=15)
FREE_PER_LOGIN = 5
FREE_PER_CLIENT = 20
MAX_WAIT = timedelta(minutes=15)

_hasher = PasswordHasher()
#: Verified against when the login is unknown, so an unknown name takes as long as a wrong password.
_DUMMY = _hasher.hash("not-a-password-of-anyone")


@dataclass(frozen=True)
class Session:
    officer: Officer
    csrf: str
    expires_at: datetime


class TooManyAttempts(Exception):
    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"too many failed sign-ins; try again in {int(wait.total_seconds())} s")
        self.seconds = max(1, int(wait.total_seconds()))


class SignInRefused(Exception):
    """Wrong login name, password or code (one message for all: which one is not told)."""


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 200:
        raise InvalidInput("a password has at most 200 characters")


def seal_plain_totp(conn: Any, cipher: InformantCipher) -> int:
    """Seal every TOTP secret still stored in the clear (run by `jointcase db init`); answers
    how many were sealed."""
    sealed = 0
    rows = conn.execute(
        "SELECT officer_id, totp_secret, totp_pending FROM jointcase_officers"
        " WHERE totp_secret IS NOT NULL OR totp_pending IS NOT NULL"
    ).fetchall()
    for officer_id, secret, pending in rows:
        for column, value in (("totp_secret", secret), ("totp_pending", pending)):
            if value and not cipher.is_sealed(value):
                _seal_in_place(conn, cipher, officer_id, column, value)
                sealed += 1
    return sealed


def _seal_in_place(
    conn: Any, cipher: InformantCipher, officer_id: str, column: str, plain: str
) -> None:
    assert column in ("totp_secret", "totp_pending")
    conn.execute(
        f"UPDATE jointcase_officers SET {column} = %s WHERE officer_id = %s AND {column} = %s",
        (cipher.seal_secret(plain, officer_id), officer_id, plain),
    )


class SignIns:
    """Passwords, second factors, sessions and failed attempts, in the service's own tables."""

    def __init__(
        self,
        pool: ConnectionPool,
        cipher: InformantCipher,
        lifetime: timedelta = SESSION_LIFETIME,
    ) -> None:
        self.pool = pool
        self.cipher = cipher
        self.lifetime = lifetime

    def create_tables(self) -> None:
        with self.pool.connection() as conn:
            for statement in DDL:
                conn.execute(statement)

    # --- credentials ----------------------------------------------------------------------------
    def set_password(self, officer_id: str, login: str, password: str) -> Officer:
        """Give an active officer a login name and a password (or replace them). Every session
        of the officer ends: a reset password signs out whoever knew the old one."""
        login = login.strip().lower()
        if not LOGIN.match(login):
            raise InvalidInput(
                "a login name has 2 to 63 characters: lower-case letters, digits, . _ -"
            )
        check_password_rules(password)
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            taken = cur.execute(
                "SELECT officer_id FROM jointcase_officers WHERE login = %s AND officer_id <> %s",
                (login, officer_id),
            ).fetchone()
            if taken:
                raise InvalidInput(f"the login name {login!r} is taken")
            row = cur.execute(
                "UPDATE jointcase_officers SET login = %s, password_hash = %s"
                f" WHERE officer_id = %s AND revoked_at IS NULL RETURNING {COLUMNS}",
                (login, _hasher.hash(password), officer_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"no active officer {officer_id}")
            cur.execute(
                "DELETE FROM jointcase_console_sessions WHERE officer_id = %s", (officer_id,)
            )
        return _officer(row)

    def officer(self, officer_id: str) -> Officer | None:
        """The officer with this id, revoked or not."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {COLUMNS} FROM jointcase_officers WHERE officer_id = %s", (officer_id,)
            ).fetchone()
        return _officer(row) if row else None

    def login_of(self, officer_id: str) -> str | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT login FROM jointcase_officers WHERE officer_id = %s", (officer_id,)
            ).fetchone()
        return row[0] if row else None

    def logins(self, county: str) -> dict[str, dict[str, Any]]:
        """Each officer of a county: its login name and whether it has TOTP, by officer id."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT officer_id, login, totp_secret IS NOT NULL AS totp"
                " FROM jointcase_officers WHERE county = %s",
                (county,),
            ).fetchall()
        return {r["officer_id"]: r for r in rows}

    # --- TOTP -----------------------------------------------------------------------------------
    def _open_totp(self, officer_id: str, column: str, stored: str | None) -> str | None:
        """The base32 secret of a stored column value; one still in the clear is sealed now."""
        if not stored:
            return None
        if self.cipher.is_sealed(stored):
            return self.cipher.open_secret(stored, officer_id)
        with self.pool.connection() as conn:
            _seal_in_place(conn, self.cipher, officer_id, column, stored)
        return stored

    def begin_totp(self, officer_id: str) -> str:
        """A new TOTP secret, pending until the officer confirms it with a code from the app."""
        secret = pyotp.random_base32()
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE jointcase_officers SET totp_pending = %s WHERE officer_id = %s",
                (self.cipher.seal_secret(secret, officer_id), officer_id),
            )
        return secret

    def pending_totp(self, officer_id: str) -> str | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT totp_pending FROM jointcase_officers WHERE officer_id = %s", (officer_id,)
            ).fetchone()
        return self._open_totp(officer_id, "totp_pending", row[0] if row else None)

    def confirm_totp(self, officer_id: str, code: str) -> bool:
        secret = self.pending_totp(officer_id)
        if not secret or not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
            return False
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE jointcase_officers SET totp_secret = totp_pending, totp_pending = NULL"
                " WHERE officer_id = %s",
                (officer_id,),
            )
        return True

    def has_totp(self, officer_id: str) -> bool:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT totp_secret IS NOT NULL FROM jointcase_officers WHERE officer_id = %s",
                (officer_id,),
            ).fetchone()
        return bool(row and row[0])

    # --- signing in -------------------------------------------------------------------------------
    def wait_before_next(self, login: str, client: str, now: datetime) -> timedelta:
        """How long this login name or client address must wait before another attempt."""
        since = now - WINDOW
        with self.pool.connection() as conn:
            by_login = conn.execute(
                "SELECT count(*), max(at) FROM jointcase_signin_failures"
                " WHERE login = %s AND at > %s",
                (login, since),
            ).fetchone()
            by_client = conn.execute(
                "SELECT count(*), max(at) FROM jointcase_signin_failures"
                " WHERE client = %s AND at > %s",
                (client, since),
            ).fetchone()
        wait = timedelta(0)
        for row, free in ((by_login, FREE_PER_LOGIN), (by_client, FREE_PER_CLIENT)):
            count, last = row or (0, None)
            if count and last is not None and count >= free:
                delay = min(timedelta(seconds=30 * 2 ** min(count - free, 10)), MAX_WAIT)
                wait = max(wait, last + delay - now)
        return wait

    def _failed(self, login: str, client: str, now: datetime, why: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO jointcase_signin_failures (at, login, client) VALUES (%s, %s, %s)",
                (now, login, client),
            )
        log.warning("sign-in refused", extra={"login": login, "client": client, "why": why})

    def sign_in(
        self, login: str, password: str, code: str, client: str, now: datetime | None = None
    ) -> tuple[str, Session]:
        """Check the login name, password and (when enabled) TOTP code; answer a new session's
        cookie value (shown once, stored as a hash). Failures are recorded; past the free
        attempts, attempts are refused unchecked until the wait is over (and recorded too)."""
        now = now or datetime.now(UTC)
        login = login.strip().lower()[:100]
        wait = self.wait_before_next(login, client, now)
        if wait > timedelta(0):
            self._failed(login, client, now, "throttled")
            raise TooManyAttempts(wait)
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {COLUMNS}, password_hash, totp_secret FROM jointcase_officers"
                " WHERE login = %s AND revoked_at IS NULL",
                (login,),
            ).fetchone()
        stored = row["password_hash"] if row and row["password_hash"] else _DUMMY
        try:
            ok = _hasher.verify(stored, password) and row is not None and stored is not _DUMMY
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            self._failed(login, client, now, "password")
            raise SignInRefused
        secret = self._open_totp(row["officer_id"], "totp_secret", row["totp_secret"])
        if secret and not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
            self._failed(login, client, now, "totp")
            raise SignInRefused
        officer = _officer(row)
        value = secrets.token_urlsafe(32)
        session = Session(officer, secrets.token_urlsafe(24), now + self.lifetime)
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO jointcase_console_sessions"
                " (session_hash, officer_id, csrf, created_at, expires_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (_digest(value), officer.officer_id, session.csrf, now, session.expires_at),
            )
            if _hasher.check_needs_rehash(stored):
                conn.execute(
                    "UPDATE jointcase_officers SET password_hash = %s WHERE officer_id = %s",
                    (_hasher.hash(password), officer.officer_id),
                )
        return value, session

    def session(self, value: str, now: datetime | None = None) -> Session | None:
        """The live session of this cookie value: unexpired, of an officer not revoked."""
        if not value or len(value) > 100:
            return None
        now = now or datetime.now(UTC)
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT o.officer_id, o.name, o.county, o.role, o.created_at, o.revoked_at,"
                " coalesce(o.token_issued_at, o.created_at) AS token_issued_at,"
                " s.csrf, s.expires_at"
                " FROM jointcase_console_sessions s"
                " JOIN jointcase_officers o ON o.officer_id = s.officer_id"
                " WHERE s.session_hash = %s AND s.expires_at > %s AND o.revoked_at IS NULL",
                (_digest(value), now),
            ).fetchone()
        if row is None:
            return None
        return Session(_officer(row), row["csrf"], row["expires_at"])

    def sign_out(self, value: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "DELETE FROM jointcase_console_sessions WHERE session_hash = %s",
                (_digest(value),),
            )

    def end_sessions(self, officer_id: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "DELETE FROM jointcase_console_sessions WHERE officer_id = %s", (officer_id,)
            )

    def failures(self, login: str) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM jointcase_signin_failures WHERE login = %s", (login,)
            ).fetchone()
        return int(row[0]) if row else 0
