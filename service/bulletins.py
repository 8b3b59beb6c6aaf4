"""Use cases of quarterly bulletins (季度通报): issuing a county's bulletin for a quarter, once,
with the log position and digest it was generated from."""

from __future__ import annotations

from domain.accountability import BulletinAlreadyIssued, BulletinIssue
from domain.values import Context
from service.store import Decided, Store, Written, decided


class BulletinUseCases(Store):
    def issue_bulletin(
        self, year: int, quarter: int, as_of_position: int, sha256: str, ctx: Context
    ) -> Written:
        def decide() -> Decided:
            county = ctx.actor.county
            if self._find(BulletinIssue, BulletinIssue.id_for(county, year, quarter)):
                raise BulletinAlreadyIssued(
                    f"{county} already issued its bulletin for {year} Q{quarter}"
                )
            return decided(
                BulletinIssue.issue(
                    county=county,
                    year=year,
                    quarter=quarter,
                    as_of_position=as_of_position,
                    sha256=sha256,
                    ctx=ctx,
                )
            )

        return self.write(ctx, decide)
