"""Moments in responses: ISO 8601 with the offset written out (``+00:00``, as the API has
always sent them, never ``Z``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer

Moment = Annotated[
    datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json")
]
