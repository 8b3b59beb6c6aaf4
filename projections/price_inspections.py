"""The list of price mutual inspections (价格互查) with each deviation from the agreed price."""

from __future__ import annotations

from typing import Any

from domain.access import reads_all_committee_records
from domain.values import Actor
from projections.base import BatchProjection
from projections.statements import Statement, StatementView


def _recorded(e: Any, position: int) -> list[Statement]:
    return [
        (
            "INSERT INTO price_inspections VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.inspecting_county,
                e.inspected_county,
                e.area,
                e.group_name,
                e.brand,
                e.agreed_price,
                e.observed_price,
                e.inspected_at,
                e.note,
            ),
        )
    ]


class PriceInspectionsView(StatementView):
    name = "price_inspections"
    tables = ("price_inspections",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS price_inspections (
            inspection_id uuid PRIMARY KEY,
            inspecting_county text NOT NULL,
            inspected_county text NOT NULL,
            area text NOT NULL,
            group_name text NOT NULL,
            brand text NOT NULL,
            agreed_price numeric(12, 2) NOT NULL,
            observed_price numeric(12, 2) NOT NULL,
            inspected_at timestamptz NOT NULL,
            note text NOT NULL
        )""",
    )
    handlers = {"PriceInspection.Recorded": _recorded}

    def list_for(
        self, viewer: Actor, *, limit: int = 50, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of the inspections the viewer may read (made by or in its county), latest
        first, each with its deviation from the agreed price; and how many (``page``)."""
        return self.page(
            "price_inspections",
            "*, observed_price - agreed_price AS deviation",
            "%(all)s OR %(county)s IN (inspecting_county, inspected_county)",
            "inspected_at DESC, inspection_id",
            {
                "all": reads_all_committee_records(viewer),
                "county": viewer.county,
                "limit": limit,
                "offset": offset,
            },
        )


class PriceInspectionsProjection(BatchProjection):
    name = "price_inspections"
