from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from eventsourcing.postgres import PostgresDatastore

from domain.values import Actor, Context, Role
from jointcase.settings import Settings
from jointcase.storage import build_app, init_database
from service.app import JointCaseApp
from tests.pg import scratch_database

XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN = (
    "150924",
    "140221",
    "140222",
    "130725",
    "130728",
    "130708",
)


@pytest.fixture(scope="session")
def pg_settings() -> Iterator[Settings]:
    """One database for the session's application tests, tables created by `db init`."""
    with scratch_database() as settings:
        init_database(settings)
        yield settings


@pytest.fixture(scope="session")
def app(pg_settings: Settings) -> Iterator[JointCaseApp]:
    application = build_app(pg_settings)
    yield application
    application.close()


class Clock:
    """Deterministic recorded times: each call is one minute after the previous one."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self, minutes: int = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


_correlation = count(1)


@pytest.fixture
def ctx(clock: Clock):
    """ctx(county, role='officer', officer=None) -> a Context one minute later than the last."""

    def make(county: str, role: Role | str = Role.OFFICER, officer: str | None = None) -> Context:
        return Context(
            Actor(officer or f"officer-{county}", county, Role(role)),
            clock.tick(),
            f"test-{next(_correlation)}",
        )

    return make


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Tests close what they open: once every fixture is torn down, no connection pool of the
    library may still be alive (it would be closed during interpreter shutdown, printing
    "Exception ignored in PostgresDatastore.__del__" and leaving connections to the end)."""
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, PostgresDatastore)]
    if alive:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"{len(alive)} database pool(s) still open after the tests: a fixture or test "
                "does not close the application, views or services it built",
                red=True,
            )
