"""Moments in responses: the one convention of the API (ISO 8601 in UTC with ``Z``), see
``api.schemas.common.UtcTime``."""

from __future__ import annotations

from api.schemas.common import UtcTime

Moment = UtcTime
