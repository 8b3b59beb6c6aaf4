"""Which county issued its quarterly bulletin (季度通报) for which quarter, as of which log
position and with which digest."""

from __future__ import annotations

from typing import Any

from projections.base import BatchProjection
from projections.statements import Statement, StatementView


def _issued(e: Any, position: int) -> list[Statement]:
    return [
        (
            "INSERT INTO bulletin_issues VALUES (%s, %s, %s, %s, %s, %s)",
            (e.county, e.year, e.quarter, e.as_of_position, e.sha256, e.timestamp),
        )
    ]


class BulletinIssuesView(StatementView):
    name = "bulletin_issues"
    tables = ("bulletin_issues",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS bulletin_issues (
            county text NOT NULL,
            year integer NOT NULL,
            quarter integer NOT NULL,
            as_of_position bigint NOT NULL,
            sha256 text NOT NULL,
            issued_at timestamptz NOT NULL,
            PRIMARY KEY (county, year, quarter)
        )""",
    )
    handlers = {"BulletinIssue.Issued": _issued}

    def issued_position(self, county: str, year: int, quarter: int) -> int | None:
        """The log position the county's bulletin for the quarter was issued as of, if issued."""
        rows = self.query(
            "SELECT as_of_position FROM bulletin_issues WHERE county = %s AND year = %s"
            " AND quarter = %s",
            (county, year, quarter),
        )
        return rows[0]["as_of_position"] if rows else None

    def issued_quarters(self) -> set[tuple[str, int, int]]:
        """Every (county, year, quarter) whose bulletin was issued."""
        rows = self.query("SELECT county, year, quarter FROM bulletin_issues")
        return {(r["county"], r["year"], r["quarter"]) for r in rows}


class BulletinIssuesProjection(BatchProjection):
    name = "bulletin_issues"
