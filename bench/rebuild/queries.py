"""View query latency at size, directly and over HTTP."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from bench.common import percentile
from bench.rebuild.world import CASE_TYPES, COUNTIES, SEARCH_WORDS
from jointcase.settings import Settings
from projections.registry import Views


# --- queries --------------------------------------------------------------------------------------
def time_calls(
    fn: Callable[[random.Random], Any], calls: int, rng: random.Random
) -> dict[str, Any]:
    for _ in range(5):
        fn(rng)
    gc.collect()
    samples = []
    rows = 0
    for _ in range(calls):
        started = time.perf_counter()
        result = fn(rng)
        samples.append((time.perf_counter() - started) * 1000)
        rows += len(result[1] if isinstance(result, tuple) else result)
    return {
        "calls": calls,
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
        "max_ms": max(samples),
        "mean_rows": rows / calls,
    }


def query_benches(views: Views, conninfo: str, rng: random.Random) -> dict[str, Callable[..., Any]]:
    with psycopg.connect(conninfo) as conn:
        cases = [
            r[0]
            for r in conn.execute(
                "SELECT case_id FROM case_search ORDER BY random() LIMIT 1000"
            ).fetchall()
        ]
        largest = [
            r[0]
            for r in conn.execute(
                "SELECT case_id FROM case_search ORDER BY seizures DESC LIMIT 20"
            ).fetchall()
        ]
        leads = [
            r[0]
            for r in conn.execute(
                "SELECT lead_id FROM workspace_leads ORDER BY random() LIMIT 1000"
            ).fetchall()
        ]
        first, last = conn.execute(
            "SELECT min(coalesce(opened_at, recorded_at)), max(coalesce(opened_at, recorded_at))"
            " FROM case_search"
        ).fetchone() or (None, None)
    span = (last - first).total_seconds() if first and last else 0.0
    cs, ws, audit, committee = views.case_search, views.workspace, views.audit, views.contributions
    as_of = committee.position()

    def window(r: random.Random) -> tuple[datetime, datetime]:
        since = first + timedelta(seconds=r.uniform(0, max(0.0, span - 30 * 86400)))
        return since, since + timedelta(days=30)

    def c(r: random.Random) -> str:
        return r.choice(COUNTIES)

    return {
        "case_search: visible_to county (list, newest first)": lambda r: cs.search(visible_to=c(r)),
        "case_search: visible_to + status=open": lambda r: cs.search(
            visible_to=c(r), status="open"
        ),
        "case_search: county + status + case_type": lambda r: cs.search(
            county=c(r), status=r.choice(("open", "closed")), case_type=r.choice(CASE_TYPES)
        ),
        "case_search: visible_to + text": lambda r: cs.search(
            visible_to=c(r), text=r.choice(SEARCH_WORDS)
        ),
        "case_search: visible_to + 30-day window": lambda r: cs.search(
            visible_to=c(r), since=(w := window(r))[0], until=w[1]
        ),
        "case_search: visible_to, by value, page 10": lambda r: cs.search(
            visible_to=c(r), sort="value", offset=450
        ),
        "workspace.items(county, now)": lambda r: ws.items(c(r), datetime.now(UTC)),
        "workspace.counts(county, now)": lambda r: [ws.counts(c(r), datetime.now(UTC))],
        "audit.trail(case_id)": lambda r: audit.trail(case_id=r.choice(cases)),
        "audit.trail(lead_id)": lambda r: audit.trail(lead_id=r.choice(leads)),
        "audit.trail(county), 100 rows": lambda r: audit.trail(
            county=c(r), after=r.randrange(max(1, as_of))
        ),
        "audit.timeline(case_id)": lambda r: audit.timeline(r.choice(cases)),
        "audit.timeline, 20 largest cases": lambda r: audit.timeline(r.choice(largest)),
        "committee.case_ledger(case_id)": lambda r: committee.case_ledger(r.choice(cases), as_of),
        "committee.county_ledger(county)": lambda r: committee.county_ledger(
            c(r), after=r.randrange(max(1, as_of))
        ),
    }


def run_queries(views: Views, conninfo: str, calls: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    benches = query_benches(views, conninfo, rng)
    return {label: time_calls(fn, calls, rng) for label, fn in benches.items()}


def run_http_queries(settings: Settings, conninfo: str, calls: int, seed: int) -> dict[str, Any]:
    """The same reads through the API (FastAPI TestClient in this process: routing, auth,
    validation, JSON; no network)."""
    from fastapi.testclient import TestClient

    from api.app import build_services, close_services, create_app

    rng = random.Random(seed)
    services = build_services(settings, run_projections=False)
    try:
        tokens = {c: services.officers.add(c, "officer", "bench")[1] for c in COUNTIES}
        auditor = services.officers.add(COUNTIES[0], "auditor", "bench")[1]
        with psycopg.connect(conninfo) as conn:
            cases = conn.execute(
                "SELECT case_id, county FROM case_search ORDER BY random() LIMIT 1000"
            ).fetchall()

        def bearer(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        with TestClient(create_app(services=services)) as client:

            def get(path: str, token: str, **params: Any) -> list[Any]:
                response = client.get(path, params=params, headers=bearer(token))
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
                body = response.json()
                return body.get("items") or body.get("events") or []

            def case(r: random.Random) -> tuple[UUID, str]:
                return r.choice(cases)

            benches: dict[str, Callable[[random.Random], Any]] = {
                "GET /v1/cases?status=open": lambda r: get(
                    "/v1/cases", tokens[r.choice(COUNTIES)], status="open"
                ),
                "GET /v1/cases?q=<text>": lambda r: get(
                    "/v1/cases", tokens[r.choice(COUNTIES)], q=r.choice(SEARCH_WORDS)
                ),
                "GET /v1/workspace": lambda r: get("/v1/workspace", tokens[r.choice(COUNTIES)]),
                "GET /v1/cases/{id}/timeline": lambda r: get(
                    f"/v1/cases/{(k := case(r))[0]}/timeline", tokens[k[1]]
                ),
                "GET /v1/cases/{id}/contributions": lambda r: get(
                    f"/v1/cases/{(k := case(r))[0]}/contributions", tokens[k[1]]
                ),
                "GET /v1/audit/events?case_id=": lambda r: get(
                    "/v1/audit/events", auditor, case_id=str(case(r)[0])
                ),
            }
            return {label: time_calls(fn, calls, rng) for label, fn in benches.items()}
    finally:
        close_services(services)
