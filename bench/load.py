"""Load test: a realistic mix of the six units' traffic for a fixed time against several API
workers and the projection worker on one PostgreSQL, then the checks that matter after a load:
every accepted write is in the event log exactly once (found by its correlation id), no refused
write left anything, and the read models equal a rebuild from scratch.

    python -m bench.load [--seconds 60] [--users 3] [--workers 2]

Users are asyncio tasks (per county `--users` officers) sharing one httpx pool. The mix: register
leads, refer them to neighbours, acknowledge referrals found in the workspace (accept or
decline; two officers of a county racing on one referral is an expected 409), open cases from
accepted leads or from scratch, record seizures, invite co-handlers, read workspaces, search
and read cases. A sample of writes is followed by a `wait_for=` read to measure how long the
read models take to show it (the projection lag as a user feels it)."""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from typing import Any

import httpx
import psycopg

from bench.common import bench_database, percentile, save
from jointcase.storage import init_database, resolve_database
from tests.pg import settings_env

COUNTIES = ("150924", "140221", "140222", "130725", "130728", "130708")
NEIGHBOURS = {
    "150924": ("140221", "140222", "130725"),
    "140221": ("150924", "140222", "130728"),
    "140222": ("140221", "130728", "130708"),
    "130725": ("150924", "130708", "130728"),
    "130728": ("140221", "140222", "130725", "130708"),
    "130708": ("130725", "130728", "140222"),
}
EXPECTED_REFUSALS = {409}  # races between officers (a referral answered twice, a stale case)


class Load:
    def __init__(self, base: str, tokens: dict[str, list[str]], seconds: float, seed: int) -> None:
        self.base = base
        self.tokens = tokens
        self.deadline = time.monotonic() + seconds
        self.rng = random.Random(seed)
        self.accepted: dict[str, int] = {}  # correlation id -> position, for accepted writes
        self.refused: list[str] = []
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.visible_after: list[float] = []
        self.leads: dict[str, list[str]] = defaultdict(list)  # responsible county -> lead ids
        self.cases: dict[str, list[str]] = defaultdict(list)  # county -> case ids
        self.sequence = 0

    async def call(
        self, http: httpx.AsyncClient, kind: str, token: str, method: str, path: str, **kw: Any
    ) -> httpx.Response:
        self.sequence += 1
        correlation = f"load-{self.sequence}"
        headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation}
        started = time.perf_counter()
        r = await http.request(method, path, headers=headers, **kw)
        self.latency[kind].append(time.perf_counter() - started)
        self.statuses[(kind, r.status_code)] += 1
        if method == "POST":
            if r.status_code in (200, 201):
                self.accepted[correlation] = r.json().get("position", 0)
            else:
                self.refused.append(correlation)
        return r

    async def follow(self, http: httpx.AsyncClient, token: str, position: int) -> None:
        """How long until the read models show a write (read-your-writes)."""
        started = time.perf_counter()
        r = await http.get(
            "/v1/workspace",
            params={"wait_for": position},
            headers={"Authorization": f"Bearer {token}"},
        )
        if r.status_code == 200:
            self.visible_after.append(time.perf_counter() - started)

    async def user(self, http: httpx.AsyncClient, county: str, token: str) -> None:
        rng = self.rng
        while time.monotonic() < self.deadline:
            roll = rng.random()
            if roll < 0.14:
                r = await self.call(
                    http,
                    "register_lead",
                    token,
                    "POST",
                    "/v1/leads",
                    json={
                        "summary": f"线索 {self.sequence}: cartons at a depot",
                        "source": rng.choice(
                            ["tip_off", "market_inspection", "parcel_screening", "online"]
                        ),
                        "place_county": county,
                        "informant": "举报人 13800000000" if rng.random() < 0.3 else None,
                    },
                )
                if r.status_code == 201:
                    self.leads[county].append(r.json()["id"])
            elif roll < 0.24 and self.leads[county]:
                lead = rng.choice(self.leads[county])
                await self.call(
                    http,
                    "refer_lead",
                    token,
                    "POST",
                    f"/v1/leads/{lead}/referrals",
                    json={
                        "to_county": rng.choice(NEIGHBOURS[county]),
                        "reason": "crosses the border",
                    },
                )
            elif roll < 0.34:
                ws = await self.call(http, "read_workspace", token, "GET", "/v1/workspace")
                items = [
                    i for i in ws.json().get("items", []) if i["kind"] == "acknowledge_referral"
                ]
                if items:
                    item = rng.choice(items)
                    if rng.random() < 0.8:
                        r = await self.call(
                            http,
                            "accept_referral",
                            token,
                            "POST",
                            f"/v1/leads/{item['lead_id']}/referrals/{county}/acceptance",
                        )
                        if r.status_code == 200:
                            self.leads[county].append(item["lead_id"])
                    else:
                        await self.call(
                            http,
                            "decline_referral",
                            token,
                            "POST",
                            f"/v1/leads/{item['lead_id']}/referrals/{county}/declination",
                            json={"reason": "not in our area"},
                        )
            elif roll < 0.42:
                if self.leads[county] and rng.random() < 0.6:
                    lead = self.leads[county].pop(rng.randrange(len(self.leads[county])))
                    r = await self.call(
                        http,
                        "convert_lead",
                        token,
                        "POST",
                        f"/v1/leads/{lead}/conversion",
                        json={"case_type": "counterfeit", "title": "from a lead"},
                    )
                else:
                    r = await self.call(
                        http,
                        "open_case",
                        token,
                        "POST",
                        "/v1/cases",
                        json={
                            "case_type": rng.choice(
                                ["counterfeit", "smuggled", "illegal_circulation"]
                            ),
                            "title": "market inspection case",
                        },
                    )
                if r.status_code == 201:
                    self.cases[county].append(r.json()["id"])
            elif roll < 0.75 and self.cases[county]:
                case = rng.choice(self.cases[county][-30:])
                r = await self.call(
                    http,
                    "record_seizure",
                    token,
                    "POST",
                    f"/v1/cases/{case}/seizures",
                    json={
                        "brand": rng.choice(["中华(硬)", "玉溪", "芙蓉王", "Marlboro"]),
                        "quantity": str(rng.randint(1, 60)),
                        "unit": "carton",
                        "value": f"{rng.randint(100, 30000)}.00",
                        "price_basis": "provincial",
                        "seized_at": "2026-03-02T03:10:00+08:00",
                    },
                )
                if r.status_code == 201 and rng.random() < 0.1:
                    await self.follow(http, token, r.json()["position"])
            elif roll < 0.78 and self.cases[county]:
                case = rng.choice(self.cases[county][-30:])
                await self.call(
                    http,
                    "invite_co_handler",
                    token,
                    "POST",
                    f"/v1/cases/{case}/co-handlers",
                    json={"county": rng.choice(NEIGHBOURS[county])},
                )
            elif roll < 0.9:
                await self.call(
                    http,
                    "search_cases",
                    token,
                    "GET",
                    "/v1/cases",
                    params={"status": "open", "limit": 20},
                )
            elif self.cases[county]:
                await self.call(
                    http, "read_case", token, "GET", f"/v1/cases/{rng.choice(self.cases[county])}"
                )


async def drive(base: str, tokens: dict[str, list[str]], seconds: float, seed: int) -> Load:
    load = Load(base, tokens, seconds, seed)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        await asyncio.gather(
            *(load.user(http, county, token) for county, ts in tokens.items() for token in ts)
        )
    return load


def wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/v1/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API did not become ready")


def view_rows(conninfo: str) -> dict[str, list[tuple]]:
    tables = {
        "audit_events": "position",
        "case_search": "case_id",
        "workspace_items": "item_id",
        "contributions": "position, kind",
        "rewards": "reward_id",
    }
    with psycopg.connect(conninfo) as conn:
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY {k}").fetchall() for t, k in tables.items()
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=3, help="officers per county")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--port", type=int, default=8777)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with bench_database("load") as settings:
        settings.pool_size = 4
        init_database(settings)
        from api.app import build_services

        services = build_services(settings, run_projections=False)
        tokens = {
            c: [services.officers.add(c, "officer", f"load {c} {i}")[1] for i in range(args.users)]
            for c in COUNTIES
        }
        services.app.close()
        services.views.close()
        services.officers.pool.close()
        env = settings_env(settings) | {
            "JOINTCASE_RUN_PROJECTIONS": "false",
            "JOINTCASE_POOL_SIZE": "4",
        }
        base = f"http://127.0.0.1:{args.port}"
        api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jointcase",
                "serve",
                "--port",
                str(args.port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "jointcase", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        lag_samples: list[dict[str, int]] = []
        try:
            wait_ready(base)
            started = time.perf_counter()

            async def run_with_sampler() -> Load:
                done = asyncio.Event()

                async def sample() -> None:
                    async with httpx.AsyncClient(base_url=base) as http:
                        while not done.is_set():
                            body = (await http.get("/v1/ready")).json()
                            lag_samples.append(
                                {k: v["lag"] for k, v in body.get("views", {}).items()}
                            )
                            await asyncio.sleep(0.25)

                sampler = asyncio.create_task(sample())
                load = await drive(base, tokens, args.seconds, args.seed)
                done.set()
                await sampler
                return load

            load = asyncio.run(run_with_sampler())
            elapsed = time.perf_counter() - started
            # let the worker catch up, then check
            conninfo = resolve_database(settings).conninfo()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                body = httpx.get(base + "/v1/ready").json()
                if all(v["lag"] == 0 for v in body["views"].values()):
                    break
                time.sleep(0.2)
        finally:
            api.terminate()
            worker.terminate()
            api.wait(timeout=30)
            worker.wait(timeout=30)

        with psycopg.connect(conninfo) as conn:
            counts = dict(
                conn.execute(
                    "SELECT correlation_id, count(*) FROM audit_events WHERE correlation_id LIKE 'load-%%'"
                    " GROUP BY correlation_id"
                ).fetchall()
            )
            events = conn.execute("SELECT count(*) FROM jointcase_events").fetchone()[0]
            audited = conn.execute(
                "SELECT count(*), count(DISTINCT position) FROM audit_events"
            ).fetchone()
        missing = [c for c in load.accepted if counts.get(c, 0) == 0]
        leaked = [c for c in load.refused if counts.get(c, 0) > 0]
        before = view_rows(conninfo)
        rebuild = subprocess.run(
            [sys.executable, "-m", "jointcase", "projections", "rebuild"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        after = view_rows(conninfo)
        differing = [t for t in before if before[t] != after[t]]

    requests = sum(load.statuses.values())
    unexpected = {
        f"{k} {s}": n
        for (k, s), n in load.statuses.items()
        if s >= 400 and s not in EXPECTED_REFUSALS
    }
    kinds = sorted(load.latency)
    report = {
        "seconds": round(elapsed, 1),
        "api_workers": args.workers,
        "users": args.users * len(COUNTIES),
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "accepted_writes": len(load.accepted),
        "writes_per_second": round(len(load.accepted) / elapsed, 1),
        "expected_409": sum(n for (k, s), n in load.statuses.items() if s == 409),
        "unexpected_errors": unexpected,
        "latency_ms": {
            k: {
                "n": len(load.latency[k]),
                "p50": round(percentile(load.latency[k], 50) * 1000, 1),
                "p95": round(percentile(load.latency[k], 95) * 1000, 1),
                "p99": round(percentile(load.latency[k], 99) * 1000, 1),
            }
            for k in kinds
        },
        "read_your_write_ms": {
            "n": len(load.visible_after),
            "p50": round(percentile(load.visible_after, 50) * 1000, 1),
            "p99": round(percentile(load.visible_after, 99) * 1000, 1),
        },
        "view_lag_positions": {
            view: {
                "p50": percentile([s.get(view, 0) for s in lag_samples], 50),
                "p99": percentile([s.get(view, 0) for s in lag_samples], 99),
                "max": max((s.get(view, 0) for s in lag_samples), default=0),
            }
            for view in (lag_samples[0] if lag_samples else {})
        },
        "events_in_log": events,
        "audit_rows": audited[0],
        "accepted_writes_missing_from_log": len(missing),
        "refused_writes_that_left_events": len(leaked),
        "views_differing_from_rebuild": differing,
        "rebuild_ok": rebuild.returncode == 0,
    }
    print(
        f"{report['requests']} requests in {report['seconds']} s = {report['requests_per_second']}/s; "
        f"{report['accepted_writes']} writes accepted ({report['writes_per_second']}/s); "
        f"expected 409s {report['expected_409']}; unexpected errors {unexpected or 'none'}"
    )
    for k, v in report["latency_ms"].items():
        print(
            f"  {k:<20} n={v['n']:>6}  p50 {v['p50']:>7} ms  p95 {v['p95']:>7} ms  p99 {v['p99']:>7} ms"
        )
    print(
        f"  read-your-write (wait_for) p50 {report['read_your_write_ms']['p50']} ms, "
        f"p99 {report['read_your_write_ms']['p99']} ms over {report['read_your_write_ms']['n']} writes"
    )
    print(f"  view lag in positions: {report['view_lag_positions']}")
    print(
        f"  log: {events} events, audit rows {audited[0]} (distinct {audited[1]}); accepted writes missing: "
        f"{len(missing)}; refused writes that left events: {len(leaked)}; views differing from a "
        f"rebuild: {differing or 'none'}"
    )
    print(f"results in {save('load', report)}")
    if (
        missing
        or leaked
        or differing
        or unexpected
        or audited[0] != audited[1]
        or audited[0] != events
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
