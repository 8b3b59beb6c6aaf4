"""Domain errors: each refusal is a specific class whose message names the rule in domain words."""

from __future__ import annotations


class DomainError(Exception):
    """A command the domain refuses. ``rule`` is a stable code a client can branch on."""

    rule: str = "domain-rule"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    rule = "not-found"


class PermissionDenied(DomainError):
    rule = "permission-denied"


class InvalidInput(DomainError):
    """The command's data is malformed in domain terms (unknown county, non-positive quantity...)."""

    rule = "invalid-input"


class NonPositiveQuantity(InvalidInput):
    rule = "non-positive-quantity"


class UnknownJurisdiction(InvalidInput):
    rule = "unknown-jurisdiction"


class ConcurrencyConflict(DomainError):
    """The aggregate changed since the caller read it (stale expected version or a lost race)."""

    rule = "concurrency-conflict"


class RuleViolation(DomainError):
    """A business rule refused the command."""

    rule = "rule-violation"


# --- leads -------------------------------------------------------------------------------------
class LeadClosed(RuleViolation):
    rule = "lead-closed"


class LeadAlreadyConverted(RuleViolation):
    rule = "lead-already-converted"


class ReferralToOwnCounty(RuleViolation):
    rule = "referral-to-own-county"


class ReferralAlreadyOpen(RuleViolation):
    rule = "referral-already-open"


class NoPendingReferral(RuleViolation):
    rule = "no-pending-referral"


class NotReceivingCounty(RuleViolation):
    rule = "not-receiving-county"


class ResponsibilityAlreadyTaken(RuleViolation):
    rule = "responsibility-already-taken"


class NotResponsibleCounty(RuleViolation):
    rule = "not-responsible-county"


class ShareWithOwnCounty(RuleViolation):
    rule = "share-with-own-county"


class AlreadyShared(RuleViolation):
    rule = "already-shared"


class CorroborationByOwner(RuleViolation):
    rule = "corroboration-by-owner"


class CorroborationByResponsibleCounty(RuleViolation):
    rule = "corroboration-by-responsible-county"


class AlreadyCorroborated(RuleViolation):
    rule = "already-corroborated"


class NoAcceptedReferral(RuleViolation):
    rule = "no-accepted-referral"


class LeadMergeInvalid(RuleViolation):
    rule = "lead-merge-invalid"


class NoInformant(RuleViolation):
    rule = "no-informant"


# --- cases -------------------------------------------------------------------------------------
class CaseIsMerged(RuleViolation):
    rule = "case-is-merged"


class CaseClosed(RuleViolation):
    rule = "case-closed"


class CaseNotClosed(RuleViolation):
    rule = "case-not-closed"


class NotLeadCounty(RuleViolation):
    rule = "not-lead-county"


class NotCaseParticipant(RuleViolation):
    rule = "not-case-participant"


class CoHandlerNotAccepted(RuleViolation):
    rule = "co-handler-not-accepted"


class NotInvited(RuleViolation):
    rule = "not-invited"


class AlreadyCoHandler(RuleViolation):
    rule = "already-co-handler"


class InviteOwnCounty(RuleViolation):
    rule = "invite-own-county"


class AssistanceNotFound(RuleViolation):
    rule = "assistance-not-found"


class AssistanceAlreadyAnswered(RuleViolation):
    rule = "assistance-already-answered"


class AssistanceCancelled(RuleViolation):
    rule = "assistance-cancelled"


class NotAssistanceRecipient(RuleViolation):
    rule = "not-assistance-recipient"


class AssistanceToOwnCounty(RuleViolation):
    rule = "assistance-to-own-county"


class MergeIntoSelf(RuleViolation):
    rule = "merge-into-self"


class MergeIntoAbsorbedCase(RuleViolation):
    rule = "merge-into-absorbed-case"


class MergeCycle(RuleViolation):
    rule = "merge-cycle"


class MergeConsentAlreadyGiven(RuleViolation):
    rule = "merge-consent-already-given"


class NoMergeProposal(RuleViolation):
    rule = "no-merge-proposal"


class NotMerged(RuleViolation):
    rule = "not-merged"


class AlreadyReferredToPolice(RuleViolation):
    rule = "already-referred-to-police"


class NotReferredToPolice(RuleViolation):
    rule = "not-referred-to-police"


class PoliceAlreadyAccepted(RuleViolation):
    rule = "police-already-accepted"


# --- jurisdictions -----------------------------------------------------------------------------
class JurisdictionExists(RuleViolation):
    rule = "jurisdiction-exists"


class JurisdictionEnded(RuleViolation):
    rule = "jurisdiction-ended"


# --- evidence files ------------------------------------------------------------------------------
class EvidenceEmpty(InvalidInput):
    rule = "evidence-empty"


class EvidenceTooLarge(InvalidInput):
    """Answered 413: the file is larger than the deployment accepts."""

    rule = "evidence-too-large"


class EvidenceTypeNotAllowed(InvalidInput):
    """Answered 415: the file's content is not of a type the deployment accepts."""

    rule = "evidence-type-not-allowed"


class EvidenceAlreadyAttached(RuleViolation):
    rule = "evidence-already-attached"


class NotEvidenceContributor(RuleViolation):
    rule = "not-evidence-contributor"
