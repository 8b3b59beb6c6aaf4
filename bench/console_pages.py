"""Server time of the console's main pages (in-process ASGI, signed in), as p50/p95 in ms and as
ratios against two baselines measured in the same run: `/v1/health` (the app's floor) and the
API route that reads the same data (what rendering a page adds).

A history is recorded first through the use cases (leads referred across counties, cases with
seizures and co-handlers), the read models catch up, then each page is requested R times.

    python -m bench.console_pages [--leads 2000] [--cases 400] [--rounds 200]
"""

from __future__ import annotations

import argparse
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from api.app import build_services, close_services, create_app
from bench.common import bench_database, median, percentile, save
from domain.values import Actor, CaseType, Context, LeadSource, PriceBasis, Role
from jointcase.storage import init_database

COUNTIES = ("150924", "140221", "140222", "130725", "130728", "130708")
PASSWORD = "bench password 123"


def seed(app: Any, leads: int, cases: int) -> tuple[list[Any], list[Any]]:
    now = datetime.now(UTC)
    lead_ids, case_ids = [], []
    for i in range(leads):
        county = COUNTIES[i % 6]
        ctx = Context(Actor(f"bench@{county}", county, Role.OFFICER), now, f"seed-{i}")
        written = app.register_lead(
            ctx,
            summary=f"线索 {i}: 假冒卷烟 运输 仓库 {i % 97}",
            source=LeadSource.TIP_OFF,
            place_county=county,
        )
        lead_ids.append(written.id)
        if i % 2 == 0:
            other = COUNTIES[(i + 1) % 6]
            app.refer_lead(written.id, other, "货源在邻县", ctx)
    for i in range(cases):
        county = COUNTIES[i % 6]
        ctx = Context(Actor(f"bench@{county}", county, Role.OFFICER), now, f"case-{i}")
        written = app.open_case(ctx, case_type=CaseType.COUNTERFEIT, title=f"案件 {i}")
        case_ids.append(written.id)
        for k in range(5):
            app.record_seizure(
                written.id,
                ctx,
                brand="中华",
                sticks=10_000 * (k + 1),
                value=Decimal("3000"),
                price_basis=PriceBasis.PROVINCIAL,
                seized_at=now - timedelta(days=1),
            )
        if i % 3 == 0:
            app.invite_co_handler(written.id, COUNTIES[(i + 2) % 6], "网络案件", ctx)
    return lead_ids, case_ids


def timed(client: TestClient, path: str, rounds: int, **kw: Any) -> list[float]:
    client.get(path, **kw)  # warm
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(path, **kw)
        out.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--name", default="console_pages")
    args = parser.parse_args()
    with bench_database("console") as settings:
        app_, _ = init_database(settings)
        app_.close()
        services = build_services(settings, run_projections=True)
        try:
            started = time.perf_counter()
            lead_ids, case_ids = seed(services.app, args.leads, args.cases)
            seeded = time.perf_counter() - started
            last = services.app.log_position()
            while min(v.position() for v in services.views.all()) < last:
                time.sleep(0.2)
            officer, token = services.officers.add("140221", "officer", "bench officer")
            auditor, _ = services.officers.add("140221", "auditor", "bench auditor")
            assert services.signins is not None
            services.signins.set_password(officer.officer_id, "bench.officer", PASSWORD)
            services.signins.set_password(auditor.officer_id, "bench.auditor", PASSWORD)
            client = TestClient(create_app(services=services), follow_redirects=False)
            api = {"Authorization": f"Bearer {token}"}
            people = {}
            for login in ("bench.officer", "bench.auditor"):
                person = TestClient(create_app(services=services), follow_redirects=False)
                page = person.get("/login")
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                answer = person.post(
                    "/login", data={"csrf": csrf, "login": login, "password": PASSWORD}
                )
                assert answer.status_code == 303
                people[login] = person
            own_case = case_ids[1]  # opened by 140221
            own_lead = lead_ids[1]
            o, a = people["bench.officer"], people["bench.auditor"]
            pages = {
                "workspace": (o, "/workspace", "/v1/workspace"),
                "lead register": (o, "/leads", "/v1/leads"),
                "lead register search": (o, "/leads?q=仓库", "/v1/leads?q=仓库"),
                "lead": (o, f"/leads/{own_lead}", f"/v1/leads/{own_lead}"),
                "case search": (o, "/cases", "/v1/cases"),
                "case": (o, f"/cases/{own_case}", f"/v1/cases/{own_case}"),
                "event log (auditor)": (a, "/audit/events", None),
            }
            health = timed(client, "/v1/health", args.rounds)
            base = {"p50": median(health), "p95": percentile(health, 95)}
            rows = {}
            for name, (who, path, api_path) in pages.items():
                times = timed(who, path, args.rounds)
                row: dict[str, Any] = {"p50": median(times), "p95": percentile(times, 95)}
                row["p95_vs_health"] = row["p95"] / base["p95"]
                if api_path:
                    api_times = timed(client, api_path, args.rounds, headers=api)
                    row["api_p95"] = percentile(api_times, 95)
                    row["p95_vs_api"] = row["p95"] / row["api_p95"]
                rows[name] = row
            result = {
                "events": last,
                "seed_seconds": round(seeded, 1),
                "rounds": args.rounds,
                "health_ms": base,
                "pages_ms": rows,
            }
            path = save(args.name, result)
            print(f"{last} events in the log (seeded in {seeded:.0f} s); {args.rounds} rounds")
            print(f"baseline /v1/health: p50 {base['p50']:.1f} ms, p95 {base['p95']:.1f} ms")
            print(f"{'page':<24}{'p50 ms':>8}{'p95 ms':>8}{'xhealth':>9}{'API p95':>9}{'xAPI':>7}")
            for name, row in rows.items():
                print(
                    f"{name:<24}{row['p50']:>8.1f}{row['p95']:>8.1f}{row['p95_vs_health']:>9.1f}"
                    f"{row.get('api_p95', float('nan')):>9.1f}{row.get('p95_vs_api', float('nan')):>7.2f}"
                )
            print(f"results: {path}")
        finally:
            close_services(services)


if __name__ == "__main__":
    main()
