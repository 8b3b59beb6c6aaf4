"""The case summary (案件摘要): what a county that sees a case only as its summary reads of it
(``domain.access.Visibility.SUMMARY``: an invited co-handler, a county asked for assistance, a
party to an open merge proposal, the reward committee, a joint operation's counties for its
attached cases). It is what a county needs to decide whether to join, what to answer, whether
to consent: what the case is, whose it is, how far it went and how big it is, and what was
asked of this county. No seizure lines, no informant, no history, no files, no other county's
requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.case import Case
from domain.case_state import AssistanceRequest, CoHandler
from domain.values import WRITER_ROLES, Actor, CoHandlerStatus

#: The fields of a summary that a case's search row also holds: every read that serves a
#: summary (by id, search rows, a joint operation's cases, the committee's lists) shows these and
#: nothing else of the case. ``co_handlers``: the counties that joined it.
SUMMARY_FIELDS = (
    "number",
    "county",
    "year",
    "case_type",
    "status",
    "title",
    "summary",
    "opened_at",
    "recorded_at",
    "co_handlers",
    "seizures",
    "total_sticks",
    "total_value",
)


@dataclass(frozen=True)
class MergeProposal:
    """An open proposal to merge this case into ``survivor_id`` that the county is party to."""

    survivor_id: UUID
    survivor_county: str
    consenting_counties: list[str]


@dataclass(frozen=True)
class CaseSummary:
    """A case as its summary, with what was asked of the reading county (its invitation, the
    assistance requests made to it, the merge proposals it is party to)."""

    id: UUID
    number: str
    county: str
    year: int
    case_type: str
    status: str
    title: str
    summary: str
    opened_at: datetime | None
    recorded_at: datetime
    co_handlers: list[str]
    seizures: int
    total_sticks: int
    total_value: Decimal
    invitation: CoHandler | None = None
    assistance: list[AssistanceRequest] = field(default_factory=list)
    merge_proposals: list[MergeProposal] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        """The summary fields (``SUMMARY_FIELDS``) as a search row holds them."""
        return {name: getattr(self, name) for name in SUMMARY_FIELDS}


def case_summary(case: Case, reader: Actor) -> CaseSummary:
    """The summary of a case as ``reader`` reads it: a county's staff read what was asked of
    their county; the committee and auditors, who take no part in cases, read no requests."""
    county = reader.county if reader.role in WRITER_ROLES else None
    totals = case.seizure_totals()
    joined = [c for c, h in case.co_handlers.items() if h.status == CoHandlerStatus.JOINED]
    invitation = case.co_handlers.get(county) if county is not None else None
    proposals = [
        MergeProposal(UUID(survivor), case.merge_parties.get(survivor, ""), sorted(consenting))
        for survivor, consenting in case.merge_consents.items()
        if county in {case.county, case.merge_parties.get(survivor), *consenting}
    ]
    return CaseSummary(
        id=case.id,
        number=case.number,
        county=case.county,
        year=case.year,
        case_type=str(case.case_type),
        status=str(case.status),
        title=case.title,
        summary=case.summary,
        opened_at=case.opened_at,
        recorded_at=case.created_on,
        co_handlers=sorted(joined),
        seizures=case.seizure_count(),
        total_sticks=totals.sticks,
        total_value=totals.value,
        invitation=invitation,
        assistance=[a for a in case.assistance.values() if a.to_county == county],
        merge_proposals=proposals if county is not None else [],
    )


def summary_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A case's search row cut to its summary (``SUMMARY_FIELDS``), for a reader who sees the
    case only as its summary."""
    return {"case_id": row["case_id"], **{name: row[name] for name in SUMMARY_FIELDS}}
