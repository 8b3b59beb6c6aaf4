"""What the API shows of an officer's own token."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import UtcTime


class TokenIssued(BaseModel):
    """A new token for the calling officer: shown once, never stored in clear; the previous
    token stopped working. The officer's id (the person events and duties name) is unchanged."""

    officer_id: str
    token: str = Field(description="Shown once: keep it; only a keyed hash is stored.")
    issued_at: UtcTime
    expires_at: UtcTime
