"""Notifications: telling a county when something reaches it, and before and when a deadline
lapses, by webhook and e-mail, plus an unread list for the console.

What reaches whom is not decided here: the workspace read model already keeps, from the event
log, each county's items to act on (referrals to acknowledge, co-handling invitations,
assistance requests, merges awaiting consent) and their deadlines. The notifier follows that
view by log position and records one notification per item (and per deadline warning) in its
own table, keyed so that a second pass, a restart or a rebuild of the view can never record it
again. Each notification fans out into one delivery per channel the county has configured;
deliveries keep their own state (pending, sent, failed), attempts and last error, and are sent
one at a time under a row lock, so two workers never send the same delivery and a worker killed
before a receiver acknowledged only repeats that one delivery, with the same idempotency key.

When the notifier first starts it begins at the view's position: items already in a workspace
(a log written before notifications existed) are not announced all at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import smtplib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from domain.access import require_admin
from domain.errors import InvalidInput, NotFound
from domain.values import Actor

DDL = (
    """CREATE TABLE IF NOT EXISTS jointcase_notifier (
    id int PRIMARY KEY CHECK (id = 1),
    started_at_position bigint NOT NULL,
    position bigint NOT NULL,
    started_at timestamptz NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS jointcase_notifications (
    id bigserial PRIMARY KEY,
    key text NOT NULL UNIQUE,
    county text NOT NULL,
    kind text NOT NULL,
    item_kind text NOT NULL,
    item_id text NOT NULL,
    lead_id uuid,
    case_id uuid,
    from_county text,
    title text NOT NULL,
    due_at timestamptz,
    source_position bigint,
    created_at timestamptz NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS jointcase_notifications_county"
    " ON jointcase_notifications (county, id DESC)",
    """CREATE TABLE IF NOT EXISTS jointcase_notification_reads (
    notification_id bigint NOT NULL REFERENCES jointcase_notifications (id),
    officer_id text NOT NULL,
    read_at timestamptz NOT NULL,
    PRIMARY KEY (notification_id, officer_id)
)""",
    """CREATE TABLE IF NOT EXISTS jointcase_notification_targets (
    id uuid PRIMARY KEY,
    county text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
    address text NOT NULL,
    added_by text NOT NULL,
    added_at timestamptz NOT NULL,
    removed_at timestamptz
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS jointcase_notification_targets_active"
    " ON jointcase_notification_targets (county, channel, address) WHERE removed_at IS NULL",
    """CREATE TABLE IF NOT EXISTS jointcase_notification_deliveries (
    id bigserial PRIMARY KEY,
    notification_id bigint NOT NULL REFERENCES jointcase_notifications (id),
    target_id uuid NOT NULL REFERENCES jointcase_notification_targets (id),
    idempotency_key uuid NOT NULL UNIQUE,
    state text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error text,
    sent_at timestamptz,
    UNIQUE (notification_id, target_id)
)""",
    "CREATE INDEX IF NOT EXISTS jointcase_notification_deliveries_due"
    " ON jointcase_notification_deliveries (next_attempt_at) WHERE state = 'pending'",
)

#: Workspace items that announce something reaching a county (the feedback an accepting county
#: owes is its own doing: it is reminded of the deadline, not told that it arrived).
ARRIVALS = ("acknowledge_referral", "answer_invitation", "answer_assistance", "consent_to_merge")
KINDS = ("arrived", "deadline_soon", "deadline_lapsed")
CHANNELS = ("webhook", "email")

_SUBJECTS = {
    "acknowledge_referral": "线索移交待签收 (referral to acknowledge)",
    "answer_invitation": "协办邀请待答复 (co-handling invitation)",
    "answer_assistance": "协查请求待答复 (assistance request)",
    "consent_to_merge": "并案待同意 (merge awaiting consent)",
    "give_feedback": "线索反馈 (lead feedback)",
}
_PREFIXES = {
    "arrived": "新到",
    "deadline_soon": "即将到期",
    "deadline_lapsed": "已逾期",
}
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


class DeliveryError(Exception):
    """A channel did not take the message (the delivery is retried later)."""


@dataclass(frozen=True)
class Target:
    id: uuid.UUID
    county: str
    channel: str
    address: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class Delivery:
    """One notification on its way to one target."""

    id: int
    idempotency_key: uuid.UUID
    attempts: int
    target: Target
    notification: dict[str, Any]


def payload(notification: dict[str, Any]) -> dict[str, Any]:
    """What a receiver gets: the notification, with times in ISO 8601 UTC (no informant data:
    the workspace title is the lead's summary or the case's number and title)."""

    def iso(t: datetime | None) -> str | None:
        return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else None

    return {
        "id": notification["key"],
        "kind": notification["kind"],
        "item": notification["item_kind"],
        "county": notification["county"],
        "from_county": notification["from_county"],
        "lead_id": str(notification["lead_id"]) if notification["lead_id"] else None,
        "case_id": str(notification["case_id"]) if notification["case_id"] else None,
        "title": notification["title"],
        "due_at": iso(notification["due_at"]),
        "created_at": iso(notification["created_at"]),
    }


def subject(notification: dict[str, Any]) -> str:
    what = _SUBJECTS.get(notification["item_kind"], notification["item_kind"])
    return f"[jointcase] {_PREFIXES[notification['kind']]}: {what}: {notification['title']}"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The webhook signature: HMAC-SHA256 over ``{timestamp}.{body}``, hex, prefixed ``v1=``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class NotificationStore:
    """The notifications' tables: deriving, the unread lists, the targets and the deliveries."""

    def __init__(
        self,
        pool: ConnectionPool,
        secret_key: bytes,
        *,
        warn_before: timedelta = timedelta(days=1),
        max_attempts: int = 8,
        first_retry: timedelta = timedelta(seconds=30),
        longest_retry: timedelta = timedelta(hours=1),
    ) -> None:
        self.pool = pool
        self._secret_key = secret_key
        self.warn_before = warn_before
        self.max_attempts = max_attempts
        self.first_retry = first_retry
        self.longest_retry = longest_retry

    def create_tables(self) -> None:
        with self.pool.connection() as conn:
            for statement in DDL:
                conn.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with (
            self.pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            yield cur

    # --- deriving ----------------------------------------------------------------------------------
    def derive(self, workspace_position: int, now: datetime) -> int:
        """Records the notifications the workspace view holds up to ``workspace_position`` (read
        before calling) and the deadline warnings due at ``now``; returns how many were new.
        One transaction: the notifications, their deliveries and the notifier's position."""
        with self._transaction() as cur:
            cur.execute("SELECT * FROM jointcase_notifier WHERE id = 1 FOR UPDATE")
            state = cur.fetchone()
            if state is None:
                cur.execute(
                    "INSERT INTO jointcase_notifier (id, started_at_position, position, started_at)"
                    " VALUES (1, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                    (workspace_position, workspace_position, now),
                )
                return 0
            position, start = state["position"], state["started_at_position"]
            if workspace_position < position:
                # The view is being rebuilt: what it shows is not yet as complete as what was
                # already announced, so nothing is derived until it has caught up again.
                return 0
            common = (
                "INSERT INTO jointcase_notifications (key, county, kind, item_kind, item_id,"
                " lead_id, case_id, from_county, title, due_at, source_position, created_at)"
                " SELECT {key}, county, {kind}, kind, item_id, lead_id, case_id, from_county,"
                " title, due_at, opened_position, %(now)s FROM workspace_items"
                " WHERE done_at IS NULL AND {where}"
                " ON CONFLICT (key) DO NOTHING RETURNING id"
            )
            created: list[int] = []
            cur.execute(
                common.format(
                    key="'arrived:' || item_id || ':' || opened_position",
                    kind="'arrived'",
                    where="opened_position > %(after)s AND opened_position <= %(upto)s"
                    " AND kind = ANY(%(arrivals)s)",
                ),
                {
                    "now": now,
                    "after": position,
                    "upto": workspace_position,
                    "arrivals": list(ARRIVALS),
                },
            )
            created += [r["id"] for r in cur.fetchall()]
            deadlines = (
                "due_at IS NOT NULL AND kind <> 'feedback_deadline'"
                " AND opened_position > %(start)s AND opened_position <= %(upto)s"
            )
            cur.execute(
                common.format(
                    key="'deadline_soon:' || item_id || ':' || opened_position",
                    kind="'deadline_soon'",
                    where=deadlines + " AND due_at > %(now)s AND due_at <= %(warn)s",
                ),
                {
                    "now": now,
                    "start": start,
                    "upto": workspace_position,
                    "warn": now + self.warn_before,
                },
            )
            created += [r["id"] for r in cur.fetchall()]
            cur.execute(
                common.format(
                    key="'deadline_lapsed:' || item_id || ':' || opened_position",
                    kind="'deadline_lapsed'",
                    where=deadlines + " AND due_at <= %(now)s",
                ),
                {"now": now, "start": start, "upto": workspace_position},
            )
            created += [r["id"] for r in cur.fetchall()]
            if created:
                cur.execute(
                    "INSERT INTO jointcase_notification_deliveries"
                    " (notification_id, target_id, idempotency_key, next_attempt_at)"
                    " SELECT n.id, t.id, gen_random_uuid(), %s FROM jointcase_notifications n"
                    " JOIN jointcase_notification_targets t"
                    " ON t.county = n.county AND t.removed_at IS NULL"
                    " WHERE n.id = ANY(%s) ON CONFLICT DO NOTHING",
                    (now, created),
                )
            cur.execute(
                "UPDATE jointcase_notifier SET position = %s WHERE id = 1", (workspace_position,)
            )
            return len(created)

    def position(self) -> int | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT position FROM jointcase_notifier WHERE id = 1").fetchone()
        return row[0] if row else None

    # --- the unread list ---------------------------------------------------------------------------
    def listing(
        self, actor: Actor, *, unread_only: bool = False, limit: int = 50, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The notifications of the actor's county, newest first, each marked read or not for
        this officer."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT n.*, r.read_at FROM jointcase_notifications n"
                " LEFT JOIN jointcase_notification_reads r"
                " ON r.notification_id = n.id AND r.officer_id = %(officer)s"
                " WHERE n.county = %(county)s"
                " AND (%(before)s::bigint IS NULL OR n.id < %(before)s)"
                + (" AND r.read_at IS NULL" if unread_only else "")
                + " ORDER BY n.id DESC LIMIT %(limit)s",
                {
                    "officer": actor.officer_id,
                    "county": actor.county,
                    "before": before,
                    "limit": limit,
                },
            )
            return list(cur.fetchall())

    def unread_count(self, actor: Actor) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM jointcase_notifications n WHERE n.county = %s AND NOT EXISTS"
                " (SELECT 1 FROM jointcase_notification_reads r"
                " WHERE r.notification_id = n.id AND r.officer_id = %s)",
                (actor.county, actor.officer_id),
            ).fetchone()
        return int(row[0]) if row else 0

    def mark_read(self, actor: Actor, notification_id: int | None, now: datetime) -> int:
        """Marks one notification of the actor's county (or, with ``None``, all of them) read
        for this officer; returns how many were newly marked. Another county's: not found."""
        with self._transaction() as cur:
            if notification_id is not None:
                cur.execute(
                    "SELECT 1 FROM jointcase_notifications WHERE id = %s AND county = %s",
                    (notification_id, actor.county),
                )
                if cur.fetchone() is None:
                    raise NotFound(f"no notification {notification_id}")
            cur.execute(
                "INSERT INTO jointcase_notification_reads (notification_id, officer_id, read_at)"
                " SELECT id, %s, %s FROM jointcase_notifications WHERE county = %s"
                " AND (%s::bigint IS NULL OR id = %s) ON CONFLICT DO NOTHING",
                (actor.officer_id, now, actor.county, notification_id, notification_id),
            )
            return int(cur.rowcount)

    # --- targets (a county's administrator) --------------------------------------------------------
    def webhook_secret(self, target_id: uuid.UUID) -> str:
        """A webhook's signing secret, derived from the server's secret and the webhook's id: the
        database does not hold it, and a new webhook (a new id) has a new secret."""
        mac = hmac.new(self._secret_key, b"jointcase webhook:" + target_id.bytes, hashlib.sha256)
        return "whsec_" + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def add_target(
        self, actor: Actor, channel: str, address: str, now: datetime
    ) -> tuple[Target, str | None]:
        """Adds a webhook or an e-mail address for the administrator's own county; returns it
        and, for a webhook, its signing secret."""
        require_admin(actor)
        return self.add_target_for(actor.county, channel, address, actor.officer_id, now)

    def add_target_for(
        self, county: str, channel: str, address: str, added_by: str, now: datetime
    ) -> tuple[Target, str | None]:
        address = check_address(channel, address)
        target_id = uuid.uuid4()
        with self._transaction() as cur:
            cur.execute(
                "SELECT 1 FROM jointcase_notification_targets WHERE county = %s AND channel = %s"
                " AND address = %s AND removed_at IS NULL",
                (county, channel, address),
            )
            if cur.fetchone() is not None:
                raise InvalidInput(f"{county} already has the {channel} {address}")
            cur.execute(
                "INSERT INTO jointcase_notification_targets"
                " (id, county, channel, address, added_by, added_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (target_id, county, channel, address, added_by, now),
            )
        target = Target(target_id, county, channel, address, added_by, now)
        return target, self.webhook_secret(target_id) if channel == "webhook" else None

    def targets(self, actor: Actor) -> list[Target]:
        require_admin(actor)
        return self.targets_of(actor.county)

    def targets_of(self, county: str | None) -> list[Target]:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT id, county, channel, address, added_by, added_at"
                " FROM jointcase_notification_targets WHERE removed_at IS NULL"
                " AND (%(county)s::text IS NULL OR county = %(county)s)"
                " ORDER BY county, added_at",
                {"county": county},
            )
            return [Target(**row) for row in cur.fetchall()]

    def remove_target(self, actor: Actor, target_id: uuid.UUID, now: datetime) -> None:
        require_admin(actor)
        self.remove_target_of(actor.county, target_id, now)

    def remove_target_of(self, county: str | None, target_id: uuid.UUID, now: datetime) -> None:
        """Removes a target (of ``county``; ``None``: any); its pending deliveries are cancelled."""
        with self._transaction() as cur:
            cur.execute(
                "UPDATE jointcase_notification_targets SET removed_at = %s WHERE id = %s"
                " AND removed_at IS NULL AND (%s::text IS NULL OR county = %s)",
                (now, target_id, county, county),
            )
            if cur.rowcount == 0:
                raise NotFound(f"no notification target {target_id}")
            cur.execute(
                "UPDATE jointcase_notification_deliveries SET state = 'cancelled',"
                " last_error = 'the target was removed' WHERE target_id = %s AND state = 'pending'",
                (target_id,),
            )

    def deliveries(
        self, actor: Actor, *, state: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        require_admin(actor)
        return self.deliveries_of(actor.county, state=state, limit=limit)

    def deliveries_of(
        self, county: str | None, *, state: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        if state is not None and state not in ("pending", "sent", "failed", "cancelled"):
            raise InvalidInput("state is one of pending, sent, failed, cancelled")
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT d.id, d.notification_id, n.key AS notification_key, n.kind, n.item_kind,"
                " t.id AS target_id, t.channel, t.address, d.state, d.attempts,"
                " d.next_attempt_at, d.last_error, d.sent_at, d.idempotency_key"
                " FROM jointcase_notification_deliveries d"
                " JOIN jointcase_notifications n ON n.id = d.notification_id"
                " JOIN jointcase_notification_targets t ON t.id = d.target_id"
                " WHERE (%(county)s::text IS NULL OR t.county = %(county)s)"
                " AND (%(state)s::text IS NULL OR d.state = %(state)s)"
                " ORDER BY d.id DESC LIMIT %(limit)s",
                {"county": county, "state": state, "limit": limit},
            )
            return list(cur.fetchall())

    # --- delivering --------------------------------------------------------------------------------
    def retry_after(self, attempts: int) -> timedelta:
        """Back-off after ``attempts`` failed attempts: doubling from the first retry, capped."""
        wait: timedelta = self.first_retry * (2 ** max(0, attempts - 1))
        return min(wait, self.longest_retry)

    def deliver_one(self, send: Callable[[Delivery], None], now: datetime) -> bool:
        """Sends the oldest due delivery (if any) while holding its row lock, and records the
        outcome in the same transaction; returns whether there was one."""
        with self._transaction() as cur:
            cur.execute(
                "SELECT d.id, d.idempotency_key, d.attempts, d.target_id"
                " FROM jointcase_notification_deliveries d"
                " WHERE d.state = 'pending' AND d.next_attempt_at <= %s"
                " ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE SKIP LOCKED",
                (now,),
            )
            row = cur.fetchone()
            if row is None:
                return False
            cur.execute(
                "SELECT id, county, channel, address, added_by, added_at"
                " FROM jointcase_notification_targets WHERE id = %s",
                (row["target_id"],),
            )
            target = Target(**cur.fetchone())
            cur.execute(
                "SELECT n.* FROM jointcase_notifications n JOIN jointcase_notification_deliveries d"
                " ON d.notification_id = n.id WHERE d.id = %s",
                (row["id"],),
            )
            notification = cur.fetchone()
            assert notification is not None
            delivery = Delivery(
                row["id"], row["idempotency_key"], row["attempts"], target, notification
            )
            attempts = row["attempts"] + 1
            try:
                send(delivery)
            except DeliveryError as e:
                failed = attempts >= self.max_attempts
                cur.execute(
                    "UPDATE jointcase_notification_deliveries SET attempts = %s, state = %s,"
                    " last_error = %s, next_attempt_at = %s WHERE id = %s",
                    (
                        attempts,
                        "failed" if failed else "pending",
                        str(e)[:500],
                        now + self.retry_after(attempts),
                        row["id"],
                    ),
                )
            else:
                cur.execute(
                    "UPDATE jointcase_notification_deliveries SET attempts = %s, state = 'sent',"
                    " sent_at = %s, last_error = NULL WHERE id = %s",
                    (attempts, datetime.now(UTC), row["id"]),
                )
            return True


def check_address(channel: str, address: str) -> str:
    address = address.strip()
    if channel == "webhook":
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput("a webhook is an http:// or https:// address with a host")
        if parts.username or parts.password:
            raise InvalidInput("a webhook address must not carry credentials")
        if len(address) > 2000:
            raise InvalidInput("a webhook address is at most 2,000 characters")
        return address
    if channel == "email":
        if len(address) > 254 or not _EMAIL.match(address):
            raise InvalidInput(f"{address!r} is not an e-mail address")
        return address
    raise InvalidInput(f"unknown channel {channel!r}; channels: {', '.join(CHANNELS)}")


class Sender:
    """Sends a delivery over its channel: a signed webhook POST or an e-mail over SMTP."""

    def __init__(
        self,
        store: NotificationStore,
        *,
        timeout: float = 10.0,
        smtp_host: str | None = None,
        smtp_port: int = 25,
        smtp_from: str = "jointcase@localhost",
        smtp_username: str | None = None,
        smtp_password: str | None = None,
        smtp_starttls: bool = False,
        public_url: str | None = None,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.smtp = (smtp_host, smtp_port, smtp_username, smtp_password, smtp_starttls)
        self.smtp_from = smtp_from
        self.public_url = public_url.rstrip("/") if public_url else None
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __call__(self, delivery: Delivery) -> None:
        if delivery.target.channel == "webhook":
            self.webhook(delivery)
        else:
            self.email(delivery)

    def webhook(self, delivery: Delivery) -> None:
        body = json.dumps(
            payload(delivery.notification), ensure_ascii=False, separators=(",", ":")
        ).encode()
        timestamp = int(time.time())
        secret = self.store.webhook_secret(delivery.target.id).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "jointcase-notifier",
            "Idempotency-Key": str(delivery.idempotency_key),
            "X-Jointcase-Timestamp": str(timestamp),
            "X-Jointcase-Signature": sign(secret, timestamp, body),
            "X-Jointcase-Attempt": str(delivery.attempts + 1),
        }
        try:
            response = self._http.post(delivery.target.address, content=body, headers=headers)
        except httpx.HTTPError as e:
            raise DeliveryError(f"{type(e).__name__}: {e}") from e
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"the receiver answered {response.status_code}")

    def email(self, delivery: Delivery) -> None:
        host, port, username, password, starttls = self.smtp
        if not host:
            raise DeliveryError("no SMTP server is configured (JOINTCASE_SMTP_HOST)")
        n = delivery.notification
        message = EmailMessage()
        message["From"] = self.smtp_from
        message["To"] = delivery.target.address
        message["Subject"] = subject(n)
        # The same delivery always has the same Message-ID, so a repeat can be recognised.
        message["Message-ID"] = f"<{delivery.idempotency_key}@jointcase>"
        data = payload(n)
        lines = [subject(n), ""]
        lines += [f"{key}: {value}" for key, value in data.items() if value is not None]
        if self.public_url:
            if data["case_id"]:
                lines.append(f"link: {self.public_url}/v1/cases/{data['case_id']}")
            elif data["lead_id"]:
                lines.append(f"link: {self.public_url}/v1/leads/{data['lead_id']}")
        message.set_content("\n".join(lines))
        try:
            with smtplib.SMTP(host, port, timeout=self.timeout) as smtp:
                if starttls:
                    smtp.starttls()
                if username:
                    smtp.login(username, password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryError(f"{type(e).__name__}: {e}") from e


class Notifier:
    """The worker's notification process: derives from the workspace view and delivers, every
    ``interval`` seconds, until stopped."""

    def __init__(
        self,
        store: NotificationStore,
        sender: Callable[[Delivery], None],
        workspace_position: Callable[[], int],
        *,
        interval: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.sender = sender
        self.workspace_position = workspace_position
        self.interval = interval
        self.clock = clock
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, max_deliveries: int = 1000) -> tuple[int, int]:
        """One pass: (notifications recorded, deliveries attempted)."""
        created = self.store.derive(self.workspace_position(), self.clock())
        attempted = 0
        while attempted < max_deliveries and not self.stopping.is_set():
            if not self.store.deliver_one(self.sender, self.clock()):
                break
            attempted += 1
        return created, attempted

    def run_forever(self) -> None:
        import logging

        log = logging.getLogger("jointcase.notifications")
        while not self.stopping.is_set():
            try:
                self.run_once()
            except Exception:  # a database hiccup must not end the process: retried next pass
                log.exception("notifications: pass failed; retrying")
            self.stopping.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        close = getattr(self.sender, "close", None)
        if close is not None:
            close()


def build_store(settings: Any, pool: ConnectionPool, secret: bytes) -> NotificationStore:
    """The store as the settings configure it (``secret``: the server's token pepper)."""
    return NotificationStore(
        pool,
        secret,
        warn_before=timedelta(hours=settings.notify_warn_hours),
        max_attempts=settings.notify_max_attempts,
        first_retry=timedelta(seconds=settings.notify_retry_seconds),
    )


def build_sender(settings: Any, store: NotificationStore) -> Sender:
    return Sender(
        store,
        timeout=settings.notify_timeout,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        smtp_from=settings.smtp_from,
        smtp_username=settings.smtp_username,
        smtp_password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        smtp_starttls=settings.smtp_starttls,
        public_url=settings.public_url,
    )
