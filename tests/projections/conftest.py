from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from jointcase.settings import Settings
from jointcase.storage import Database, init_database, library_env, resolve_database
from projections.base import BatchRunner
from projections.registry import Views, build_views
from service.app import JointCaseApp
from tests.pg import scratch_database


@dataclass
class Store:
    settings: Settings
    db: Database
    app: JointCaseApp
    views: Views

    def runner(self) -> BatchRunner:
        return BatchRunner(self.app, self.views.all())

    def fresh_views(self) -> Views:
        return build_views(library_env(self.settings, self.db))


@pytest.fixture
def store() -> Iterator[Store]:
    """A database of its own per test (these tests tamper with tables and kill processes)."""
    with scratch_database("jointcase_views") as settings:
        app, _ = init_database(settings)
        db = resolve_database(settings)
        views = build_views(library_env(settings, db))
        yield Store(settings, db, app, views)
        views.close()
        app.close()
