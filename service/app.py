"""The jointcase application: every use case, recording into one event log."""

from __future__ import annotations

from service.bulletins import BulletinUseCases
from service.evidence import EvidenceUseCases
from service.findings import FindingUseCases
from service.leads import LeadUseCases
from service.merging import MergingUseCases
from service.operations import OperationUseCases
from service.rewards import RewardUseCases


class JointCaseApp(
    LeadUseCases,
    MergingUseCases,
    OperationUseCases,
    RewardUseCases,
    FindingUseCases,
    BulletinUseCases,
    EvidenceUseCases,
):
    """Leads, cases, merging, joint work, rewards, findings and bulletins (one event store)."""

    name = "jointcase"  # the library names tables and settings after it
