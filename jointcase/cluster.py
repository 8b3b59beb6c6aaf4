"""The library's PostgreSQL persistence, for a cluster of several members (Patroni).

The library builds its connection pools from ``POSTGRES_HOST``/``POSTGRES_PORT`` only; libpq
already takes several hosts there (``a,b,c``) but needs ``target_session_attrs`` to pick the
leader among them, a setting the library has no key for. This factory adds one
(``POSTGRES_TARGET_SESSION_ATTRS``) and passes it to every connection of the pool, before the
pool opens. Everything else is the library's own ``PostgresFactory``."""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresFactory
from psycopg_pool import base as pool_base

TARGET_SESSION_ATTRS = "POSTGRES_TARGET_SESSION_ATTRS"


class ClusterFactory(PostgresFactory):
    def __init__(self, env: Any) -> None:
        super().__init__(env)
        # The pool reconnects after a failed attempt with an exponential back-off (1, 2, 4, 8 s
        # ...): after a ten-second failover the first attempt to the new leader could come
        # seconds late. In a cluster, try again every half second instead (to three hosts,
        # cheap), so writes resume as soon as the new leader takes them.
        attempt = getattr(pool_base, "AttemptWithBackoff", None) or getattr(
            pool_base, "ConnectionAttempt", None
        )
        if attempt is not None:
            attempt.INITIAL_DELAY = 0.5
            attempt.DELAY_BACKOFF = 1.0
        attrs = self.env.get(TARGET_SESSION_ATTRS)
        if attrs:
            kwargs = self.datastore.pool.kwargs
            assert isinstance(kwargs, dict)
            kwargs["target_session_attrs"] = attrs
