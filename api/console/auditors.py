"""Auditors' pages: the global event log, a case or lead as of a version or a moment, and the
audit verification with its checkpoints."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
