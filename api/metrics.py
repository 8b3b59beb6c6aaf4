"""Prometheus metrics at /metrics: requests by route and status, latency, command outcomes,
read-model lag per view and connection-pool use. (With several uvicorn workers each process
answers for itself; scrape each, or run one worker per container.) They show how busy each
route is, so they are served only to a scraper holding ``JOINTCASE_METRICS_TOKEN``; without
that setting /metrics answers 404, like a route that does not exist."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.errors import ApiProblem

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "jointcase_http_requests_total",
    "HTTP requests by method, route template and status.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
LATENCY = Histogram(
    "jointcase_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ("method", "route"),
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
COMMANDS = Counter(
    "jointcase_commands_total",
    "Write commands by command and outcome (recorded, refused, conflict, replayed).",
    ("command", "outcome"),
    registry=REGISTRY,
)


_request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Counts one request and its latency. The labelled children are looked up once per
    (method, route, status) and kept (routes are templates, so the set is small)."""
    children = _request_children.get((method, route, status))
    if children is None:
        children = (
            REQUESTS.labels(method, route, str(status)),
            LATENCY.labels(method, route),
        )
        _request_children[method, route, status] = children
    children[0].inc()
    children[1].observe(seconds)


class ServiceCollector(Collector):
    """Read on each scrape: view lag behind the log, and pool use."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def collect(self) -> Iterator[GaugeMetricFamily]:
        services = self.services
        if services is None:
            return
        head = GaugeMetricFamily("jointcase_log_position", "Last position of the event log.")
        lag = GaugeMetricFamily(
            "jointcase_projection_lag_events", "Log positions a view is behind.", labels=["view"]
        )
        position = GaugeMetricFamily(
            "jointcase_projection_position", "Log position a view has applied.", labels=["view"]
        )
        try:
            last = services.app.log_position()
            head.add_metric([], last)
            for view in services.views.all():
                at = view.position()
                position.add_metric([view.name], at)
                lag.add_metric([view.name], max(0, last - at))
        except Exception:  # a scrape must not fail because the database is down
            pass
        yield head
        yield position
        yield lag
        pool = GaugeMetricFamily(
            "jointcase_db_pool", "Service connection pool (officers, idempotency).", labels=["stat"]
        )
        for key, value in services.officers.pool.get_stats().items():
            if key in ("pool_size", "pool_available", "requests_waiting", "pool_max"):
                pool.add_metric([key], value)
        yield pool


COLLECTOR = ServiceCollector(None)
REGISTRY.register(COLLECTOR)


def check_scraper(settings: Any, request: Request) -> None:
    """Lets a request read the metrics only with the configured metrics token."""
    expected = settings.metrics_token
    if expected is None:
        raise ApiProblem(404, "there is nothing at /metrics", "not-found")
    sent = request.headers.get("authorization", "")
    wanted = f"Bearer {expected.get_secret_value()}"
    if not hmac.compare_digest(sent.encode(), wanted.encode()):
        raise ApiProblem(
            401,
            "send Authorization: Bearer <the metrics token>",
            "not-authenticated",
            {"WWW-Authenticate": 'Bearer realm="jointcase-metrics"'},
        )


def install_collector(services: Any) -> None:
    """Reports on the most recently started app of this process (one in production; tests may
    start several, which must not collide in the process-wide registry)."""
    COLLECTOR.services = services


def uninstall_collector(services: Any) -> None:
    """The collector stays registered but lets go of these services (a closed app must not be
    kept alive, nor scraped, after its lifespan)."""
    if COLLECTOR.services is services:
        COLLECTOR.services = None
