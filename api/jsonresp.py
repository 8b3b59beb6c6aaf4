"""Fast JSON (orjson) for every response; Decimals travel as strings so money never turns float,
and every moment is written in UTC with `Z` (the API's one convention)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson
from fastapi.responses import JSONResponse as _JSONResponse

from api.schemas.common import utc_text


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, datetime):
        return utc_text(obj)
    if isinstance(obj, (date, time)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dumps(content: Any) -> bytes:
    return orjson.dumps(
        content, default=_default, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    )


class JSONResponse(_JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"
