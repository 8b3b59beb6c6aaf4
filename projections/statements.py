"""A read model whose rows follow from events one statement at a time: each event type it
cares about has a handler that returns the statements to run (in log order, pipelined)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import orjson
import psycopg

from projections.base import Batch, View, clean

Statement = tuple[str, tuple[Any, ...]]
Handler = Callable[[Any, int], list[Statement]]


def as_json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


class StatementView(View):
    """A view whose ``handlers`` map an event's qualified name to the statements it causes."""

    handlers: ClassVar[dict[str, Handler]] = {}

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        with cursor.connection.pipeline():
            for event, tracking, _ in batch:
                handler = self.handlers.get(type(event).__qualname__)
                if handler is not None:
                    for sql, params in handler(event, tracking.notification_id):
                        cursor.execute(sql, clean(params))
