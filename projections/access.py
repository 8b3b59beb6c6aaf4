"""Keeping a row's access as ``domain.access`` decides it: the row holds the grants folded from
its events (``grants``) and the counties they name (``visible_to``), which the lists filter on.
The statements here only apply an ``AccessChange``; which event grants or revokes what is the
domain's."""

from __future__ import annotations

from typing import Any

from domain.access import ANY, AccessChange, counties_granted


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return escaped.replace(ANY, "%")


def initial(change: AccessChange) -> tuple[list[str], list[str]]:
    """The grants and the counties of a new row."""
    return sorted(change.grant), sorted(counties_granted(change.grant))


def apply_change(
    table: str, key: str, row_id: Any, change: AccessChange
) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements that fold one event's change into the row (revocations, then grants)."""
    if not change.grant and not change.revoke:
        return []
    return [
        (
            f"UPDATE {table} SET grants = ARRAY("
            "SELECT g FROM unnest(grants) AS g WHERE NOT g LIKE ANY(%s::text[])"
            " UNION SELECT unnest(%s::text[]) ORDER BY 1)"
            f" WHERE {key} = %s",
            ([_like(p) for p in sorted(change.revoke)], sorted(change.grant), row_id),
        ),
        (
            f"UPDATE {table} SET visible_to = ARRAY("
            "SELECT DISTINCT split_part(g, '/', 1) FROM unnest(grants) AS g ORDER BY 1)"
            f" WHERE {key} = %s",
            (row_id,),
        ),
    ]
