"""Use cases of quarterly bulletins (季度通报): reading a county's bulletin for a quarter as of a
log position (the same position gives the same bytes), and issuing it, once, with the position
and the digest of the exact bytes it was generated from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from domain.accountability import BulletinAlreadyIssued, BulletinIssue
from domain.errors import InvalidInput
from domain.values import Context
from service.jurisdictions import JurisdictionUseCases
from service.store import Decided, Written, decided


class PositionNotRecorded(InvalidInput):
    rule = "position-not-recorded"


@dataclass(frozen=True)
class Bulletin:
    """A county's bulletin as of a position: its figures, their canonical JSON and its digest."""

    county: str
    unit_name: str
    figures: dict[str, Any]
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def canonical_json(figures: dict[str, Any]) -> bytes:
    """The bytes a bulletin's digest is taken of: sorted keys, fixed indentation."""
    return orjson.dumps(figures, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


class BulletinUseCases(JurisdictionUseCases):
    def bulletin(
        self, county: str, year: int, quarter: int, as_of_position: int | None = None
    ) -> Bulletin:
        """The county's bulletin as of a position (default: the issued one's position, else
        what the audit trail has reached). Every county reports to its neighbours: any officer
        reads any bulletin."""
        unit = self.check_county(county)
        source = self.ports.bulletins
        reached = source.position()
        at = as_of_position or source.issued(county, year, quarter) or reached
        if at > reached:
            raise PositionNotRecorded(f"the audit trail has not reached position {at}")
        figures = source.figures(county, year, quarter, at, self.timezone)
        return Bulletin(county, unit.name_zh or unit.name, figures, canonical_json(figures))

    def issue_bulletin(self, year: int, quarter: int, ctx: Context) -> Written:
        """Issues the officer's county's bulletin for the quarter, fixed at the audit trail's
        current position; the digest of its JSON is recorded."""
        county = ctx.actor.county
        source = self.ports.bulletins
        at = source.position()
        sha256 = hashlib.sha256(
            canonical_json(source.figures(county, year, quarter, at, self.timezone))
        ).hexdigest()

        def decide() -> Decided:
            if self._find(BulletinIssue, BulletinIssue.id_for(county, year, quarter)):
                raise BulletinAlreadyIssued(
                    f"{county} already issued its bulletin for {year} Q{quarter}"
                )
            issue = BulletinIssue.issue(
                county=county,
                year=year,
                quarter=quarter,
                as_of_position=at,
                sha256=sha256,
                ctx=ctx,
            )
            return decided(issue, as_of_position=at, sha256=sha256)

        return self.write(ctx, decide)
