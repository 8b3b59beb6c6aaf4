"""What the API shows of an officer's own token."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import UtcTime
from domain.values import Role


class TokenIssued(BaseModel):
    """A new token for the calling officer: shown once, never stored in clear; the previous
    token stopped working. The officer's id (the person events and duties name) is unchanged."""

    officer_id: str
    token: str = Field(description="Shown once: keep it; only a keyed hash is stored.")
    issued_at: UtcTime
    expires_at: UtcTime


class OfficerCreate(BaseModel):
    """A new officer of the administrator's county; with `login` and `password`, also a sign-in
    for the console (the password is stored only as an argon2 hash)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    role: Role
    login: str | None = Field(default=None, max_length=63)
    password: str | None = Field(default=None, max_length=200)


class PasswordSet(BaseModel):
    """Set or reset an officer's console sign-in; every session of the officer ends."""

    model_config = ConfigDict(extra="forbid")
    login: str = Field(min_length=2, max_length=63)
    password: str = Field(min_length=10, max_length=200)


class OfficerPublic(BaseModel):
    officer_id: str
    name: str
    county: str
    role: str
    login: str | None = None
    created_at: UtcTime
    revoked_at: UtcTime | None = None


class OfficerIssued(OfficerPublic):
    token: str = Field(description="The officer's API token, shown once.")


class OfficerListPublic(BaseModel):
    items: list[OfficerPublic]
