"""Keeping a row's access as ``domain.access`` decides it: the row holds the grants folded from
its events (``grants``), the counties they name (``visible_to``: those that see the record, at
least as its summary) and, for a case, the counties whose grants show the whole of it
(``full_to``), which the lists filter on. The statements here only apply an ``AccessChange``;
which event grants or revokes what, and which grants show only the summary
(``SUMMARY_GRANTS``), is the domain's."""

from __future__ import annotations

from typing import Any

from domain.access import ANY, SUMMARY_GRANTS, AccessChange, counties_granted, counties_granted_full


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return escaped.replace(ANY, "%")


def initial(change: AccessChange) -> tuple[list[str], list[str]]:
    """The grants and the counties of a new row."""
    return sorted(change.grant), sorted(counties_granted(change.grant))


def initial_full(change: AccessChange) -> list[str]:
    """The counties that see the whole of a new row's record (its ``full_to``)."""
    return sorted(counties_granted_full(change.grant))


def apply_change(
    table: str, key: str, row_id: Any, change: AccessChange, *, levels: bool = False
) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements that fold one event's change into the row (revocations, then grants);
    ``levels``: the table also keeps ``full_to`` (a case's rows)."""
    if not change.grant and not change.revoke:
        return []
    full = []
    if levels:
        full = [
            (
                f"UPDATE {table} SET full_to = ARRAY("
                "SELECT DISTINCT split_part(g, '/', 1) FROM unnest(grants) AS g"
                " WHERE NOT g LIKE ANY(%s::text[]) ORDER BY 1)"
                f" WHERE {key} = %s",
                ([_like(p) for p in SUMMARY_GRANTS], row_id),
            )
        ]
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
        *full,
    ]
