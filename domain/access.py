"""Who may see and who may do: the one place these rules live. Every read and every write asks
here; read models store what these functions decided, they never decide again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
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


# --- access as read models keep it: grants folded from events ------------------------------------
#: A grant is "county/reason" (``owner``, ``referral``, ``merge:<survivor id>``...). A revocation
#: may put ``*`` for any county or for any key after the reason's colon.
ANY = "*"


@dataclass(frozen=True)
class AccessChange:
    """What one event grants and revokes; read models fold these in log order, so that a row's
    counties are exactly ``Lead.counties_involved()`` / ``Case.counties_involved()``."""

    grant: frozenset[str] = frozenset()
    revoke: frozenset[str] = frozenset()


def grant(county: str, reason: str) -> str:
    return f"{county}/{reason}"


def lead_access_change(event: Any) -> AccessChange:
    """The owner on registration; a county referred while its referral is pending or accepted
    (a decline or a withdrawal revokes it); a county shared with; one that corroborates."""
    kind = type(event).__qualname__
    if kind == "Lead.Registered":
        return AccessChange(frozenset({grant(event.county, "owner")}))
    if kind == "Lead.Referred":
        return AccessChange(frozenset({grant(event.to_county, "referral")}))
    if kind == "Lead.ReferralDeclined":
        return AccessChange(revoke=frozenset({grant(event.actor.county, "referral")}))
    if kind == "Lead.ReferralWithdrawn":
        return AccessChange(revoke=frozenset({grant(event.to_county, "referral")}))
    if kind == "Lead.Shared":
        return AccessChange(frozenset(grant(c, "shared") for c in event.counties))
    if kind == "Lead.Corroborated":
        return AccessChange(frozenset({grant(event.actor.county, "corroborated")}))
    return AccessChange()


class Visibility(IntEnum):
    """How much of a case a reader sees: nothing (it is not found), its summary
    (``domain.case_summary``: what a county needs to decide on an invitation, a request or a
    merge proposal), or all of it (history, timeline, seizures, files, events, exports)."""

    NONE = 0
    SUMMARY = 1
    FULL = 2


#: The grants that show a case only as its summary: an open co-handling invitation, an
#: assistance request (open or answered), a merge proposal while it is open. Every other grant
#: (lead county, lead owners, joined co-handlers) shows the whole case.
SUMMARY_GRANTS = (
    f"{ANY}/co-handler-invited",
    f"{ANY}/assistance",
    f"{ANY}/merge:{ANY}",
)


def case_access_change(event: Any) -> AccessChange:
    """The lead county and the owners of the case's leads; a co-handler invited (summary) until
    it joins (the whole case) or declines (nothing); a county asked for assistance (summary);
    the counties party to a merge proposal while it is open (summary; a decline or the merge
    itself closes it). Visibility through a merge (survivor and absorbed case) is not a grant:
    it follows ``merged_into``. Which grants show only the summary: ``SUMMARY_GRANTS``."""
    kind = type(event).__qualname__
    if kind == "Case.Opened":
        owners = {grant(c, "lead-owner") for c in event.lead_counties}
        return AccessChange(frozenset({grant(event.county, "lead-county"), *owners}))
    if kind == "Case.CoHandlerInvited":
        return AccessChange(frozenset({grant(event.county, "co-handler-invited")}))
    if kind == "Case.CoHandlerJoined":
        return AccessChange(
            frozenset({grant(event.actor.county, "co-handler")}),
            frozenset({grant(event.actor.county, "co-handler-invited")}),
        )
    if kind == "Case.CoHandlerDeclined":
        return AccessChange(revoke=frozenset({grant(event.actor.county, "co-handler-invited")}))
    if kind == "Case.AssistanceRequested":
        return AccessChange(frozenset({grant(event.to_county, "assistance")}))
    if kind == "Case.MergeConsentGiven":
        reason = f"merge:{event.survivor_id}"
        counties = {event.survivor_county, event.actor.county}
        return AccessChange(frozenset(grant(c, reason) for c in counties))
    if kind == "Case.MergeProposalDeclined":
        return AccessChange(revoke=frozenset({grant(ANY, f"merge:{event.survivor_id}")}))
    if kind == "Case.MergedInto":
        return AccessChange(revoke=frozenset({grant(ANY, f"merge:{ANY}")}))
    return AccessChange()


def _matches(token: str, pattern: str) -> bool:
    county, reason = token.split("/", 1)
    p_county, p_reason = pattern.split("/", 1)
    if p_county not in (ANY, county):
        return False
    if p_reason.endswith(":" + ANY):
        return reason.startswith(p_reason[:-1])
    return reason == p_reason


def fold_access(grants: Iterable[str], change: AccessChange) -> set[str]:
    """The grants after one event (revocations first, then grants)."""
    kept = {g for g in grants if not any(_matches(g, p) for p in change.revoke)}
    return kept | change.grant


def counties_granted(grants: Iterable[str]) -> set[str]:
    """The counties that see the record (at least its summary)."""
    return {g.split("/", 1)[0] for g in grants}


def grant_visibility(token: str) -> Visibility:
    """How much of a case one grant shows."""
    if any(_matches(token, p) for p in SUMMARY_GRANTS):
        return Visibility.SUMMARY
    return Visibility.FULL


def counties_granted_full(grants: Iterable[str]) -> set[str]:
    """The counties that see the whole record."""
    return counties_granted(g for g in grants if grant_visibility(g) == Visibility.FULL)


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


def case_list_visibility(actor: Actor) -> Visibility:
    """The most a list shows of each case: the committee reads summaries, everyone else as
    much as it sees of each case (``case_visibility``)."""
    return Visibility.SUMMARY if actor.role == Role.COMMITTEE else Visibility.FULL


def require_workspace_reader(actor: Actor, county: str) -> None:
    """A county reads only its own workspace; auditors read any."""
    if county != actor.county and actor.role != Role.AUDITOR:
        raise PermissionDenied("a county sees only its own workspace")


def require_audit_reader(actor: Actor) -> None:
    """The audit trail and the global event log are read by auditors and administrators."""
    if actor.role not in (Role.AUDITOR, Role.ADMIN):
        raise PermissionDenied(f"the {actor.role} role may not read the audit trail")


def require_auditor(actor: Actor) -> None:
    """The log as a whole (its chain head, its verification, checkpoints and proofs) tells how
    many events every county recorded: auditors ("everything, read-only") read it, nobody else."""
    if actor.role != Role.AUDITOR:
        raise PermissionDenied(f"the {actor.role} role may not read the log as a whole")


def audit_scope(actor: Actor) -> str:
    """Whose events an audit reader reads in the event feed and the audit trail: auditors every
    event (``ALL``); an administrator the events its county may read (``event_access``), so
    an administrator of an uninvolved county reads none of another county's records."""
    require_audit_reader(actor)
    return ALL if actor.role == Role.AUDITOR else actor.county


def event_access(event: Any) -> AccessChange:
    """Who reads an event of a record that is neither a lead nor a case (a reward, a finding, a
    joint operation, reference data...) in the event feed and the audit trail: the county whose
    staff recorded it. An event of a lead or a case is read exactly by the counties that read it
    in that record's history: those that may see the lead (``can_see_lead``), or that see the
    whole of a case whose history holds it (``case_visibility`` FULL: a county that sees a case
    only as its summary reads none of its events; a case's history holds the cases merged into
    it, and a released one's events only up to its release), as folded from
    ``lead_access_change`` and ``case_access_change`` (the grants not in ``SUMMARY_GRANTS``)
    and the merge events."""
    actor = getattr(event, "actor", None)
    if actor is None:
        return AccessChange()
    return AccessChange(frozenset({grant(actor.county, "recorded")}))


def county_sees_case(county: str, case: Case) -> Visibility:
    """How much of the case a county sees by its own part in it (the state-side reading of
    ``case_access_change``): the lead county, the lead owners and joined co-handlers the whole
    case; an invited co-handler, a county asked for assistance, a party to an open merge
    proposal its summary."""
    if county in case.participant_counties() or county in case.lead_counties:
        return Visibility.FULL
    if county in case.counties_involved():
        return Visibility.SUMMARY
    return Visibility.NONE


def case_visibility(
    actor: Actor,
    case: Case,
    survivors: Sequence[Case] = (),
    absorbed_counties: Iterable[str] = (),
) -> Visibility:
    """Auditors read every case whole, the committee every case's summary; a county sees a case
    as much as its part in it allows (``county_sees_case``), a case merged into one it sees as
    much as it sees that one, while the merge stands (``survivors``: the chain of cases this one
    is merged into, nearest first), and the whole survivor of its own case while the merge
    stands (``absorbed_counties``: the counties of the cases merged into this one now)."""
    if actor.role == Role.AUDITOR:
        return Visibility.FULL
    if actor.role == Role.COMMITTEE:
        return Visibility.SUMMARY
    own = max(county_sees_case(actor.county, c) for c in (case, *survivors))
    if own < Visibility.FULL and actor.county in absorbed_counties:
        return Visibility.FULL
    return own


def can_see_case(
    actor: Actor,
    case: Case,
    survivors: Sequence[Case] = (),
    absorbed_counties: Iterable[str] = (),
) -> bool:
    """Whether the case exists for the actor at all (at least its summary)."""
    return case_visibility(actor, case, survivors, absorbed_counties) >= Visibility.SUMMARY


def case_readers(
    involved: Iterable[Iterable[str]], absorbed_counties: Iterable[str] = ()
) -> set[str]:
    """The counties that see a case at all (at least its summary; auditors and the committee
    aside), as ``case_visibility`` decides (``county_sees_case`` is at least SUMMARY exactly for
    the counties involved): ``involved`` holds the counties involved in the case, then in each
    case of its survivor chain (nearest first); ``absorbed_counties``, those of the cases merged
    into it now. Read models store this set per case, so a list filters on one indexed column.

    Given instead, for the case and each survivor, the counties that see it whole by their own
    part in it (``county_sees_case`` is FULL), the same union is the counties that see the case
    whole: ``case_visibility`` is FULL through a survivor seen whole, or for the county of a case
    merged into it. Read models store that set too, so a row says how much its reader sees."""
    return {county for counties in involved for county in counties} | set(absorbed_counties)


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


def require_officer_manager(actor: Actor, county: str) -> None:
    """A county's officers (their sign-ins, passwords, revocation) are managed by that county's
    administrators only ("a county's admin: its own county's officers")."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("only an administrator manages officers")
    if actor.county != county:
        raise PermissionDenied("an administrator manages only its own county's officers")


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
