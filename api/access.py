"""Who may see what. A county sees what it owns, received, was shared, co-handles or was asked to
assist with; anything else answers 404, as if it did not exist. Auditors read everything; the
reward committee reads cases (contributions and rewards), not leads."""

from __future__ import annotations

from domain.application import JointCaseApp
from domain.case import Case
from domain.errors import NotFound
from domain.lead import Lead
from domain.values import Role
from jointcase.officers import Officer


def can_see_lead(officer: Officer, lead: Lead) -> bool:
    if officer.role == Role.AUDITOR:
        return True
    if officer.role == Role.COMMITTEE:
        return False
    return officer.county in lead.counties_involved()


def can_see_case(officer: Officer, case: Case, app: JointCaseApp) -> bool:
    if officer.role in (Role.AUDITOR, Role.COMMITTEE):
        return True
    if officer.county in case.counties_involved():
        return True
    if case.merged_into is not None:
        survivor = app.get_case(case.merged_into)
        return can_see_case(officer, survivor, app)
    return False


def visible_lead(app: JointCaseApp, officer: Officer, lead_id: object) -> Lead:
    lead = app.get_lead(lead_id)  # type: ignore[arg-type]
    if not can_see_lead(officer, lead):
        raise NotFound(f"no lead {lead_id}")
    return lead


def visible_case(app: JointCaseApp, officer: Officer, case_id: object) -> Case:
    case = app.get_case(case_id)  # type: ignore[arg-type]
    if not can_see_case(officer, case, app):
        raise NotFound(f"no case {case_id}")
    return case
