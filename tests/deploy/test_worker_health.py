"""The worker's health check (`jointcase projections health`, the compose health check): it fails
when a view lags the log by more than JOINTCASE_WORKER_MAX_LAG events, and passes once the worker
has caught up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from jointcase.cli import app
from jointcase.demo import run_demo
from jointcase.settings import Settings
from jointcase.storage import build_app, init_database, library_env, resolve_database
from projections.base import BatchRunner
from projections.registry import build_views
from tests.pg import scratch_database, settings_env


@pytest.fixture(scope="module")
def recorded() -> Iterator[Settings]:
    with scratch_database("jointcase_health") as settings:
        settings.token_pepper = SecretStr("health-tests-pepper-0123456789abcdef")
        store, _ = init_database(settings)
        try:
            run_demo(store, say=lambda _: None)
        finally:
            store.close()
        yield settings


def health(settings: Settings, *args: str, **env: str):
    return CliRunner().invoke(
        app, ["projections", "health", *args], env={**settings_env(settings), **env}
    )


def test_the_health_check_fails_while_the_views_lag_and_passes_once_caught_up(
    recorded: Settings,
) -> None:
    lagging = health(recorded, "--max-lag", "5")
    assert lagging.exit_code == 1, lagging.output
    assert "unhealthy" in lagging.output and "lags" in lagging.output
    # the setting is the default limit
    assert health(recorded, JOINTCASE_WORKER_MAX_LAG="5").exit_code == 1
    assert health(recorded, JOINTCASE_WORKER_MAX_LAG="100000").exit_code == 0

    store = build_app(recorded)
    views = build_views(library_env(recorded, resolve_database(recorded)))
    try:
        BatchRunner(store, views.all()).catch_up()
    finally:
        views.close()
        store.close()
    healthy = health(recorded, "--max-lag", "0")
    assert healthy.exit_code == 0, healthy.output
    assert "healthy: largest lag 0" in healthy.output


def test_the_health_check_fails_when_the_database_is_unreachable(recorded: Settings) -> None:
    result = health(
        recorded,
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none?connect_timeout=1",
    )
    assert result.exit_code == 1
    assert "unhealthy: the database is unreachable" in result.output
