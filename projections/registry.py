"""All read models, in the order a runner applies them (workspace titles read case_search)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypeVar

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment, resolve_topic

from projections.audit import AuditView
from projections.base import View
from projections.bulletin_issues import BulletinIssuesView
from projections.cases import CaseSearchView
from projections.contributions import ContributionsView
from projections.findings import FindingsView
from projections.leads import LeadRegisterView
from projections.meetings import MeetingsView
from projections.operations import OperationsView
from projections.price_inspections import PriceInspectionsView
from projections.rewards import RewardsView
from projections.seizures import SeizuresView
from projections.workspace import WorkspaceView

TView = TypeVar("TView", bound=View)


@dataclass
class Views:
    case_search: CaseSearchView
    workspace: WorkspaceView
    audit: AuditView
    leads: LeadRegisterView
    # the committee's read models, one per concept
    contributions: ContributionsView
    rewards: RewardsView
    findings: FindingsView
    operations: OperationsView
    meetings: MeetingsView
    price_inspections: PriceInspectionsView
    bulletin_issues: BulletinIssuesView
    seizures: SeizuresView

    def all(self) -> list[View]:
        return [getattr(self, f.name) for f in fields(self)]

    def named(self, names: list[str] | None) -> list[View]:
        if not names:
            return self.all()
        unknown = set(names) - set(NAMES)
        if unknown:
            raise ValueError(f"unknown view(s) {sorted(unknown)}; views: {', '.join(NAMES)}")
        return [v for v in self.all() if v.name in names]

    def close(self) -> None:
        self.case_search.datastore.close()  # one pool, shared by every view


VIEW_CLASSES: tuple[type[View], ...] = (
    CaseSearchView,
    WorkspaceView,
    AuditView,
    LeadRegisterView,
    ContributionsView,
    RewardsView,
    FindingsView,
    OperationsView,
    MeetingsView,
    PriceInspectionsView,
    BulletinIssuesView,
    SeizuresView,
)
NAMES = tuple(cls.name for cls in VIEW_CLASSES)


def build_views(library_env: dict[str, str], pool_size: int = 2) -> Views:
    """The views share one small connection pool (each keeps its own tracking table); tables
    are created only when the environment says CREATE_TABLE=y (that is, by `jointcase db init`)."""
    env = dict(library_env)
    env["POSTGRES_POOL_SIZE"] = str(pool_size)
    env["POSTGRES_MAX_OVERFLOW"] = "4"
    # The factory the environment names when it is a PostgreSQL one (the cluster's, which
    # connects to the leader only), else the library's.
    named = resolve_topic(env["PERSISTENCE_MODULE"]) if env.get("PERSISTENCE_MODULE") else None
    factory_class = (
        named if isinstance(named, type) and issubclass(named, PostgresFactory) else PostgresFactory
    )
    factory = factory_class(Environment("views", env))
    # The views answer short queries by their indexes (and apply batches of events): compiling
    # one (JIT) never pays, and costs up to a second on a loaded machine when a plan's estimate
    # is large (a recursive walk, a capped count over thousands of rows). Off for every
    # connection of the views, rebuilds included.
    kwargs = factory.datastore.pool.kwargs
    assert isinstance(kwargs, dict)
    kwargs["options"] = f"{kwargs.get('options') or ''} -c jit=off".strip()

    def build(cls: type[TView]) -> TView:
        view = factory.tracking_recorder(cls)
        assert isinstance(view, cls)
        return view

    return Views(
        case_search=build(CaseSearchView),
        workspace=build(WorkspaceView),
        audit=build(AuditView),
        leads=build(LeadRegisterView),
        contributions=build(ContributionsView),
        rewards=build(RewardsView),
        findings=build(FindingsView),
        operations=build(OperationsView),
        meetings=build(MeetingsView),
        price_inspections=build(PriceInspectionsView),
        bulletin_issues=build(BulletinIssuesView),
        seizures=build(SeizuresView),
    )
