"""Who may see and who may do: the one place these rules live. Every read and every write asks
here; read models store what these functions decided, they never decide again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from domain.errors import PermissionDenied
from domain.values import WRITER_ROLES, Actor, Role

if TYPE_CHECKING:
    from domain.case import Case
    from domain.lead import Lead

#: Roles that read everything of a kind without belonging to a county's work.
_READS_ALL_CASES = frozenset({Role.AUDITOR, Role.COMMITTEE})
#: A list scope that shows every record.
ALL = "*"


def can_see_lead(actor: Actor, lead: Lead) -> bool:
    """Auditors read every lead; the committee reads none; a county reads the leads it owns,
    received, was referred, was shared or corroborated."""
    if actor.role == Role.AUDITOR:
        return True
    if actor.role == Role.COMMITTEE:
        return False
    return actor.county in lead.counties_involved()


def counties_a_lead_event_involves(event: Any) -> set[str]:
    """The counties a lead event adds to ``Lead.counties_involved()``: the owner on
    registration, a county referred or shared with, one that corroborates. Read models fold
    these so that a list shows a lead to exactly the counties ``can_see_lead`` would."""
    kind = type(event).__qualname__
    if kind == "Lead.Registered":
        return {event.county}
    if kind == "Lead.Referred":
        return {event.to_county}
    if kind == "Lead.Shared":
        return set(event.counties)
    if kind in ("Lead.Corroborated", "Lead.ReferralAccepted"):
        return {event.actor.county}
    return set()


def lead_list_scope(actor: Actor) -> str | None:
    """Which leads a list shows: ``ALL`` for auditors, ``NONE`` for the committee, otherwise
    the leads whose involved counties include the actor's (the same as ``can_see_lead``)."""
    if actor.role == Role.AUDITOR:
        return ALL
    if actor.role == Role.COMMITTEE:
        return None
    return actor.county


def case_list_scope(actor: Actor) -> str:
    """Which cases a list shows: ``ALL`` for auditors and the committee, otherwise the cases
    whose involved counties include the actor's (the same as ``can_see_case``)."""
    return ALL if actor.role in _READS_ALL_CASES else actor.county


def require_workspace_reader(actor: Actor, county: str) -> None:
    """A county reads only its own workspace; auditors read any."""
    if county != actor.county and actor.role != Role.AUDITOR:
        raise PermissionDenied("a county sees only its own workspace")


def require_audit_reader(actor: Actor) -> None:
    """The audit trail and the global event log are read by auditors and administrators."""
    if actor.role not in (Role.AUDITOR, Role.ADMIN):
        raise PermissionDenied(f"the {actor.role} role may not read the audit trail")


def can_see_case(actor: Actor, case: Case, survivors: Sequence[Case] = ()) -> bool:
    """Auditors and the committee read every case; a county reads the cases it is involved in,
    and a case merged into one it may see (``survivors``: the chain of cases this one was
    merged into, nearest first)."""
    if actor.role in _READS_ALL_CASES:
        return True
    return any(actor.county in c.counties_involved() for c in (case, *survivors))


def require_recorder(actor: Actor) -> None:
    """Enforcement staff record events; auditors and the committee only read here."""
    if actor.role not in WRITER_ROLES:
        raise PermissionDenied(f"the {actor.role} role reads but does not record events")


def require_committee(actor: Actor) -> None:
    """Reward and accountability decisions belong to members of the reward committee."""
    if actor.role != Role.COMMITTEE:
        raise PermissionDenied("only members of the reward committee do this")


def require_finding_recorder(actor: Actor) -> None:
    """Findings are recorded by the committee's scan, or by the system itself."""
    if actor.role not in (Role.COMMITTEE, Role.ADMIN):
        raise PermissionDenied("findings are recorded by the committee (or the system)")


def require_admin(actor: Actor) -> None:
    """Reference data (the participating units) is changed by administrators."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("only an administrator changes reference data")


def require_own_county(actor: Actor, county: str) -> None:
    """Referrals and invitations are answered only by the county they were made to."""
    if county != actor.county:
        raise PermissionDenied("a county answers only the referrals and invitations made to it")


# --- the committee's records: rewards, findings, ledgers, joint work -----------------------------
def reads_all_committee_records(actor: Actor) -> bool:
    """The committee and auditors read every reward, finding, ledger and joint work record."""
    return actor.role in _READS_ALL_CASES


def require_committee_reader(actor: Actor) -> None:
    """The list of rewards and a reward's recomputation are for the committee and auditors."""
    if not reads_all_committee_records(actor):
        raise PermissionDenied(f"the {actor.role} role does not read the committee's rewards")


def can_see_reward(actor: Actor, case_visible: bool) -> bool:
    """The committee and auditors read every reward; a county, one whose case it may see."""
    return reads_all_committee_records(actor) or case_visible


def sees_whole_case_ledger(actor: Actor, handling_county: str) -> bool:
    """The committee, auditors and the handling county see every contribution to a case;
    another county involved sees only its own contributions."""
    return reads_all_committee_records(actor) or actor.county == handling_county


def ledger_county(actor: Actor, county: str | None) -> str:
    """The county whose contribution ledger the actor reads: its own, or (committee, auditors)
    any county."""
    county = county or actor.county
    if county != actor.county and not reads_all_committee_records(actor):
        raise PermissionDenied("a county sees its own ledger")
    return county


def findings_county(actor: Actor, county: str | None) -> str | None:
    """The county whose findings the actor lists (None: every county, for the committee and
    auditors); a county lists only its own."""
    if reads_all_committee_records(actor):
        return county
    if county not in (None, actor.county):
        raise PermissionDenied("a county sees its own findings")
    return actor.county


def can_see_finding(actor: Actor, finding_county: str) -> bool:
    """A finding is read by the committee, auditors and the county it is about."""
    return reads_all_committee_records(actor) or actor.county == finding_county


def can_see_joint_work(actor: Actor, counties: Sequence[str]) -> bool:
    """A joint operation, meeting or price inspection is read by the committee, auditors and the
    counties that took part in it."""
    return reads_all_committee_records(actor) or actor.county in counties
