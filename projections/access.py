"""Keeping a row's access as ``domain.access`` decides it: the row holds the grants folded from
its events (``grants``), the counties they name (``visible_to``: those that see the record, at
least as its summary) and, for a case, the counties whose grants show the whole of it
(``full_to``), which the lists filter on. What is here only applies ``AccessChange``s, with
the domain's own ``fold_access``; which event grants or revokes what, and which grants show
only the summary (``SUMMARY_GRANTS``), is the domain's."""

from __future__ import annotations

from typing import Any

import psycopg

from domain.access import (
    AccessChange,
    counties_granted,
    counties_granted_full,
    fold_access,
)


def initial(change: AccessChange) -> tuple[list[str], list[str]]:
    """The grants and the counties of a new row."""
    return sorted(change.grant), sorted(counties_granted(change.grant))


def initial_full(change: AccessChange) -> list[str]:
    """The counties that see the whole of a new row's record (its ``full_to``)."""
    return sorted(counties_granted_full(change.grant))


class GrantFold:
    """A batch's access changes to the rows of a table, folded per row with the domain's own
    ``fold_access`` and written once per row at the end of the batch (``write``), instead of
    two or three statements per event that grants or revokes. Nothing the view does in the
    batch may read the grants before ``write``; rows made in the batch must be inserted before
    it; a row that does not exist is left alone, as an UPDATE would.
    ``levels``: the table also keeps ``full_to`` (a case's rows)."""

    def __init__(self, table: str, key: str, *, levels: bool = False) -> None:
        self.table = table
        self.key = key
        self.levels = levels
        self.changes: dict[Any, list[AccessChange]] = {}  # row -> its changes, in log order

    def add(self, row_id: Any, change: AccessChange) -> bool:
        """Notes the event's change to the row; False if it changes nothing."""
        if not change.grant and not change.revoke:
            return False
        self.changes.setdefault(row_id, []).append(change)
        return True

    def write(self, cursor: psycopg.Cursor[Any]) -> None:
        """Reads the rows' grants, folds the changes in, and stores grants and readers."""
        if not self.changes:
            return
        cursor.execute(
            f"SELECT {self.key} AS id, grants FROM {self.table} WHERE {self.key} = ANY(%s)",
            (list(self.changes),),
        )
        rows = []
        for row in cursor.fetchall():
            grants: set[str] = set(row["grants"])
            for change in self.changes[row["id"]]:
                grants = fold_access(grants, change)
            full = [sorted(counties_granted_full(grants))] if self.levels else []
            rows.append((sorted(grants), sorted(counties_granted(grants)), *full, row["id"]))
        if rows:
            cursor.executemany(
                f"UPDATE {self.table} SET grants = %s, visible_to = %s"
                + (", full_to = %s" if self.levels else "")
                + f" WHERE {self.key} = %s",
                rows,
            )
        self.changes.clear()
