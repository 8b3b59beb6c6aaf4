"""The one encoding of an event's data, for the audit trail and everything served from it (the
event feed, histories, exports): informant data never included. The feed itself is read from
the audit trail, whose rows carry who may read each event."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from domain.records import event_fields


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    raise TypeError


def event_data(event: Any) -> bytes:
    """The event's data as JSON: the one encoding, used here and by the audit trail."""
    # PostgreSQL text and jsonb cannot hold U+0000; one such character must not stop a view.
    return orjson.dumps(event_fields(event), default=_json_default).replace(b"\\u0000", b"\\ufffd")
