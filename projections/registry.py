"""All read models, in the order a runner applies them (workspace titles read case_search)."""

from __future__ import annotations

from dataclasses import dataclass

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from projections.audit import AuditView
from projections.base import View
from projections.cases import CaseSearchView
from projections.committee import CommitteeView
from projections.leads import LeadRegisterView
from projections.workspace import WorkspaceView

VIEW_CLASSES: tuple[type[View], ...] = (
    CaseSearchView,
    WorkspaceView,
    AuditView,
    CommitteeView,
    LeadRegisterView,
)
NAMES = tuple(cls.name for cls in VIEW_CLASSES)


@dataclass
class Views:
    case_search: CaseSearchView
    workspace: WorkspaceView
    audit: AuditView
    committee: CommitteeView
    leads: LeadRegisterView

    def all(self) -> list[View]:
        return [self.case_search, self.workspace, self.audit, self.committee, self.leads]

    def named(self, names: list[str] | None) -> list[View]:
        if not names:
            return self.all()
        unknown = set(names) - set(NAMES)
        if unknown:
            raise ValueError(f"unknown view(s) {sorted(unknown)}; views: {', '.join(NAMES)}")
        return [v for v in self.all() if v.name in names]

    def close(self) -> None:
        self.case_search.datastore.close()  # one pool, shared by every view


def build_views(library_env: dict[str, str], pool_size: int = 2) -> Views:
    """The views share one small connection pool (each keeps its own tracking table); tables
    are created only when the environment says CREATE_TABLE=y (that is, by `jointcase db init`)."""
    env = dict(library_env)
    env["POSTGRES_POOL_SIZE"] = str(pool_size)
    env["POSTGRES_MAX_OVERFLOW"] = "4"
    factory = PostgresFactory(Environment("views", env))
    built = [factory.tracking_recorder(cls) for cls in VIEW_CLASSES]
    case_search, workspace, audit, committee, leads = built
    assert isinstance(case_search, CaseSearchView)
    assert isinstance(workspace, WorkspaceView)
    assert isinstance(audit, AuditView)
    assert isinstance(committee, CommitteeView)
    assert isinstance(leads, LeadRegisterView)
    return Views(case_search, workspace, audit, committee, leads)
