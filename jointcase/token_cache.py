"""A per-process cache of authenticated tokens that never outlives a revocation.

Looking a token up costs a database round trip (and, from FastAPI, a hand-off to a worker thread)
on every request. This cache answers a token this process has already checked, without either,
and keeps revocation immediate across processes with three rules:

1. **Told at once.** A trigger on `jointcase_officers` counts every UPDATE or DELETE in
   `jointcase_officers_changes` and sends the count as a notification (revoke, rotate, or any hand edit). Each cache listens on
   its own connection; on a notification it empties itself and records the number it has seen
   in its row of `jointcase_token_caches`.
2. **Revocation waits for every live cache.** `OfficerStore.revoke` and `rotate` return only
   once every cache whose lease is current has recorded the change's number: after they return,
   no process answers the old token from memory (`OfficerStore.await_caches`).
3. **A cache that cannot hear is not used.** The listener renews a lease in its row
   (`alive_at = now()`) every `HEARTBEAT` seconds; the process answers from memory only until
   `FENCE` seconds after it *sent* its last successful renewal. A revocation does not wait for a
   cache whose lease is older than `FENCE` by the database's clock, and that cache has already
   stopped answering by then (it sent the renewal before the database stamped it). A broken
   connection stops the cache at once; it starts again, empty, when it has reconnected.

A lookup that raced a change is not kept: entries are stored only if no notification arrived
while the database was read (a generation number). Only tokens found valid are kept; each entry
still expires with its token (the token lifetime, checked on every use) and after
`JOINTCASE_TOKEN_CACHE_SECONDS` at most.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from jointcase.officers import FENCE, Officer, OfficerStore

log = logging.getLogger("jointcase.tokens")

#: Seconds between lease renewals.
HEARTBEAT = 0.5
#: Most tokens kept (more are simply looked up).
MAX_ENTRIES = 10_000


class LeaseLost(Exception):
    """The cache's row is gone, so revocations no longer wait for it: it must register again."""


class TokenCache:
    def __init__(self, store: OfficerStore, conninfo: str, max_age: float) -> None:
        self.store = store
        self.conninfo = conninfo
        self.max_age = max_age
        self._entries: dict[bytes, tuple[Officer, datetime | None, float]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._usable_until = 0.0  # monotonic; 0 while not listening
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._listen, name="jointcase-token-cache", daemon=True
        )

    # --- the request path ---------------------------------------------------------------------------
    def usable(self) -> bool:
        return time.monotonic() < self._usable_until

    def get(self, token: str) -> Officer | None:
        """The officer of a token this process has checked, if it may still be answered from
        memory; None means: look it up."""
        if not self.usable():
            return None
        key = self.store.token_hash(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        officer, expires_at, cached_at = entry
        if time.monotonic() - cached_at > self.max_age or (
            expires_at is not None and datetime.now(UTC) >= expires_at
        ):
            self._entries.pop(key, None)
            return None
        return officer

    def authenticate(self, token: str) -> Officer | None:
        """Looks the token up in the database, and keeps a valid one unless the officers changed
        while it was being read."""
        generation = self._generation
        officer = self.store.authenticate(token)
        if officer is None or not self.usable():
            return officer
        entry = (officer, self.store.expires_at(officer), time.monotonic())
        with self._lock:
            if generation == self._generation:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[self.store.token_hash(token)] = entry
        return officer

    # --- the listener ------------------------------------------------------------------------------
    def start(self) -> TokenCache:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._forget()
        self._thread.join(timeout=5)

    def _forget(self) -> None:
        with self._lock:
            self._usable_until = 0.0
            self._generation += 1
            self._entries.clear()

    def _listen(self) -> None:
        pause = 0.1
        while not self._stopped.is_set():
            try:
                self._serve_connection()
                pause = 0.1
            except Exception as error:  # the database went away: stop answering, then retry
                self._forget()
                if self._stopped.is_set():
                    break
                log.warning("token cache off until the database answers again: %s", error)
                self._stopped.wait(pause)
                pause = min(pause * 2, 5.0)
        self._forget()

    def _serve_connection(self) -> None:
        seen = 0  # the last change this cache has forgotten its tokens for
        cache_id = str(uuid.uuid4())  # a new lease for each connection
        with psycopg.connect(
            self.conninfo, autocommit=True, application_name="jointcase-token-cache"
        ) as conn:
            if not self.store.notifies_changes(conn):
                log.warning(
                    "token cache off: the officers table does not announce changes yet "
                    "(run `jointcase db init`)"
                )
                self._stopped.wait(60)
                return
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.store.channel(conn))))
            # Registered with the number of changes committed so far: every later commit is
            # notified to this connection, and what was read before is forgotten below.
            conn.execute(
                "INSERT INTO jointcase_token_caches (cache_id, seen, alive_at)"
                " SELECT %s, n, now() FROM jointcase_officers_changes",
                (cache_id,),
            )
            conn.execute(
                "DELETE FROM jointcase_token_caches WHERE alive_at < now() - interval '1 hour'"
            )
            self._forget()  # a lookup that began before the LISTEN is not kept
            try:
                while not self._stopped.is_set():
                    sent = time.monotonic()
                    # Renews the lease and confirms the changes forgotten so far. A change
                    # announced meanwhile is handled just below, before it is confirmed.
                    renewed = conn.execute(
                        "UPDATE jointcase_token_caches SET alive_at = now(),"
                        " seen = greatest(seen, %s) WHERE cache_id = %s",
                        (seen, cache_id),
                    )
                    if renewed.rowcount != 1:  # the lease is gone: no revocation waits for it
                        raise LeaseLost("this cache's lease was removed")
                    self._usable_until = sent + FENCE
                    for notify in conn.notifies(timeout=HEARTBEAT, stop_after=1):
                        self._forget()  # first: nothing is answered from memory after this
                        if notify.payload.isdigit():
                            seen = max(seen, int(notify.payload))
            finally:
                self._forget()
                if not conn.closed and not conn.broken:
                    conn.execute(
                        "DELETE FROM jointcase_token_caches WHERE cache_id = %s", (cache_id,)
                    )
