"""Server time of the console's main pages (in-process ASGI, signed in), as p50/p95 in ms and as
ratios against two baselines measured in the same run: `/v1/health` (the app's floor) and the
API route that reads the same data (what rendering a page adds).

A history is recorded first through the use cases (leads referred across counties, cases with
seizures and co-handlers), the read models catch up, then each page is requested R times. With
--database-url, an existing database instead (a copy of a large one: `CREATE DATABASE mine
TEMPLATE big`): its views are brought up to date, staff sign-ins added, nothing seeded.

    python -m bench.console_pages [--leads 2000] [--cases 400] [--rounds 200]
    python -m bench.console_pages --database-url postgresql://.../copy [--rounds 200]
"""

from __future__ import annotations

import argparse
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import build_services, close_services, create_app
from bench.common import bench_database, median, percentile, save
from bench.rebuild.others import load_average, other_processes
from bench.search.cli import existing
from domain.values import Actor, CaseType, Context, LeadSource, PriceBasis, Role
from jointcase.settings import Settings
from jointcase.storage import build_app, init_database, library_env, resolve_database
from projections.base import BatchRunner
from projections.registry import build_views

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


Target = str | Callable[[int], str]


def timed(client: TestClient, path: Target, rounds: int, **kw: Any) -> list[float]:
    """Server time of ``rounds`` requests of a page; a path given as a function of the round's
    number (0 to warm, then 1, 2, ...) asks for something else each time."""
    at = path if callable(path) else lambda _: path
    client.get(at(0), **kw)  # warm
    out = []
    for n in range(1, rounds + 1):
        started = time.perf_counter()
        answer = client.get(at(n), **kw)
        out.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return out


def catch_up(settings: Settings, page_size: int) -> dict[str, Any]:
    """Bring every view of an existing database up to its log (as `jointcase projections
    rebuild` does, from where each view stands), then refresh the planner's statistics."""
    db = resolve_database(settings)
    app = build_app(settings)
    views = build_views(library_env(settings, db))
    try:
        head = app.recorder.max_notification_id() or 0
        behind = [v for v in views.all() if v.position() < head]
        started = time.perf_counter()
        if behind:
            print(f"catching up {', '.join(v.name for v in behind)} to {head:,} events...")
            runner = BatchRunner(app, behind, page_size=page_size)
            last = [started]

            def note(_: int) -> None:
                if time.perf_counter() - last[0] > 60:
                    last[0] = time.perf_counter()
                    done = min(v.position() for v in behind)
                    print(f"  {done:,} of {head:,} ({done / (last[0] - started):,.0f} events/s)")

            runner.catch_up(until=head, progress=note)
            runner._pool.shutdown()
        seconds = time.perf_counter() - started
        with psycopg.connect(db.conninfo(), autocommit=True) as conn:
            conn.execute("ANALYZE")
        return {
            "events": head,
            "views_caught_up": [v.name for v in behind],
            "catch_up_seconds": round(seconds, 1),
        }
    finally:
        views.close()
        app.close()


def chosen_records(settings: Settings, county: str) -> dict[str, Any]:
    """What the pages show at this size: the county's case with the most seizures (the longest
    timeline), a case of median size, the lead with the most versions, and the quarter with the
    most of the county's events (its bulletin)."""
    db = resolve_database(settings)
    with psycopg.connect(db.conninfo()) as conn:
        cases = conn.execute(
            "SELECT case_id, seizures FROM case_search WHERE county = %s AND merged_into IS NULL"
            " ORDER BY seizures DESC",
            (county,),
        ).fetchall()
        lead = conn.execute(
            "SELECT lead_id, version FROM lead_register WHERE owner_county = %s"
            " ORDER BY version DESC LIMIT 1",
            (county,),
        ).fetchone()
        busiest = conn.execute(
            "SELECT date_trunc('quarter', recorded_at AT TIME ZONE %s) AS q, count(*)"
            " FROM audit_events WHERE county = %s GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
            (settings.timezone, county),
        ).fetchone()
    assert cases and lead and busiest, "the database has no cases or leads here"
    at = busiest[0]
    return {
        "largest_case": cases[0][0],
        "largest_case_seizures": cases[0][1],
        "median_case": cases[len(cases) // 2][0],
        "median_case_seizures": cases[len(cases) // 2][1],
        "lead": lead[0],
        "lead_versions": lead[1],
        "quarter": (at.year, (at.month - 1) // 3 + 1),
        "quarter_events": busiest[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--name", default="console_pages")
    parser.add_argument(
        "--database-url",
        help="an existing database (use a copy: sign-ins are added to it and its views brought"
        " up to date); nothing is seeded, and it is kept afterwards",
    )
    parser.add_argument("--page-size", type=int, default=5000, help="events per catch-up page")
    args = parser.parse_args()
    meta = {"load_average_start": load_average(), "busiest_processes_at_start": other_processes()}
    database = existing(args.database_url) if args.database_url else bench_database("console")
    with database as settings:
        settings.token_pepper = SecretStr("bench-pepper-0123456789abcdef0123456789")
        app_, _ = init_database(settings)
        app_.close()
        prepared: dict[str, Any] = {}
        if args.database_url:
            prepared = catch_up(settings, args.page_size)
        services = build_services(settings, run_projections=not args.database_url)
        try:
            seeded = 0.0
            if args.database_url:
                last = services.app.log_position()
                picked = chosen_records(settings, "140221")
                own_case, own_lead = picked["largest_case"], picked["lead"]
                median_case = picked["median_case"]
                year, quarter = picked["quarter"]
            else:
                started = time.perf_counter()
                lead_ids, case_ids = seed(services.app, args.leads, args.cases)
                seeded = time.perf_counter() - started
                last = services.app.log_position()
                while min(v.position() for v in services.views.all()) < last:
                    time.sleep(0.2)
                own_case = median_case = case_ids[1]  # opened by 140221
                own_lead = lead_ids[1]
                now = datetime.now(UTC).astimezone(ZoneInfo(settings.timezone))
                year, quarter = now.year, (now.month - 1) // 3 + 1
                picked = {"quarter": (year, quarter)}
            assert services.signins is not None
            tokens, people = {}, {}
            for role in ("officer", "auditor", "committee"):
                officer, token = services.officers.add("140221", role, f"bench {role}")
                login = f"bench.{role}.{secrets.token_hex(4)}"
                services.signins.set_password(officer.officer_id, login, PASSWORD)
                tokens[role] = {"Authorization": f"Bearer {token}"}
                person = TestClient(create_app(services=services), follow_redirects=False)
                page = person.get("/login")
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                answer = person.post(
                    "/login", data={"csrf": csrf, "login": login, "password": PASSWORD}
                )
                assert answer.status_code == 303, answer.text[:300]
                people[role] = person
            client = TestClient(create_app(services=services), follow_redirects=False)
            o, a, c = people["officer"], people["auditor"], people["committee"]
            middle = max(0, last // 2)
            word = "物流" if args.database_url else "仓库"  # a word of the history's summaries
            bulletin = f"140221/{year}/{quarter}"
            pages: dict[str, tuple[TestClient, Target, Target | None, str]] = {
                "workspace": (o, "/workspace", "/v1/workspace", "officer"),
                "lead register": (o, "/leads", "/v1/leads", "officer"),
                "lead register search": (o, f"/leads?q={word}", f"/v1/leads?q={word}", "officer"),
                "lead": (o, f"/leads/{own_lead}", f"/v1/leads/{own_lead}", "officer"),
                "case list": (o, "/cases", "/v1/cases", "officer"),
                "case, longest timeline": (
                    o,
                    f"/cases/{own_case}",
                    f"/v1/cases/{own_case}/history",
                    "officer",
                ),
                "case, median": (
                    o,
                    f"/cases/{median_case}",
                    f"/v1/cases/{median_case}/history",
                    "officer",
                ),
                "event log, first page": (a, "/audit/events", "/v1/audit/events", "auditor"),
                "event log, middle page": (
                    a,
                    f"/audit/events?after={middle}",
                    f"/v1/audit/events?after={middle}",
                    "auditor",
                ),
                "committee (rewards)": (c, "/committee", "/v1/rewards", "committee"),
                "bulletins (choose)": (c, "/bulletins", None, "committee"),
                "bulletin": (
                    c,
                    f"/bulletins/{bulletin}",
                    f"/v1/bulletins/{bulletin}",
                    "committee",
                ),
                # Figures of a position are kept (they never change): each round here asks
                # for the printable bulletin at another position, so each is computed.
                "bulletin, computed each time": (
                    c,
                    lambda n: f"/bulletins/{bulletin}/page?as_of_position={max(1, last - n)}",
                    lambda n: f"/v1/bulletins/{bulletin}?as_of_position={max(1, last - 1000 - n)}",
                    "committee",
                ),
            }
            health = timed(client, "/v1/health", args.rounds)
            base = {"p50": median(health), "p95": percentile(health, 95)}
            rows = {}
            for name, (who, path, api_path, role) in pages.items():
                times = timed(who, path, args.rounds)
                row: dict[str, Any] = {"p50": median(times), "p95": percentile(times, 95)}
                row["p95_vs_health"] = row["p95"] / base["p95"]
                row["p95_under_100ms"] = row["p95"] < 100
                if api_path:
                    api_times = timed(client, api_path, args.rounds, headers=tokens[role])
                    row["api_p50"] = median(api_times)
                    row["api_p95"] = percentile(api_times, 95)
                    row["p95_vs_api"] = row["p95"] / row["api_p95"]
                rows[name] = row
                print(f"  {name}: p50 {row['p50']:.1f} ms, p95 {row['p95']:.1f} ms")
            result = {
                "events": last,
                "database": "existing" if args.database_url else "seeded",
                **prepared,
                "records": {k: str(v) for k, v in picked.items()},
                "seed_seconds": round(seeded, 1),
                "rounds": args.rounds,
                "health_ms": base,
                "pages_ms": rows,
                **meta,
                "load_average_end": load_average(),
            }
            saved = save(args.name, result)
            print(
                f"{last} events in the log; {args.rounds} rounds; load {meta['load_average_start']}"
            )
            print(f"baseline /v1/health: p50 {base['p50']:.1f} ms, p95 {base['p95']:.1f} ms")
            print(
                f"{'page':<26}{'p50 ms':>8}{'p95 ms':>8}{'<100':>6}{'xhealth':>9}"
                f"{'API p95':>9}{'xAPI':>7}"
            )
            for name, row in rows.items():
                print(
                    f"{name:<26}{row['p50']:>8.1f}{row['p95']:>8.1f}"
                    f"{'yes' if row['p95_under_100ms'] else 'NO':>6}{row['p95_vs_health']:>9.1f}"
                    f"{row.get('api_p95', float('nan')):>9.1f}{row.get('p95_vs_api', float('nan')):>7.2f}"
                )
            print(f"results: {saved}")
        finally:
            close_services(services)


if __name__ == "__main__":
    main()
