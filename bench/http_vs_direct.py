"""Write commands per second over HTTP against the application layer called directly, with the
same number of concurrent clients, in the same run and database.

The command is one event: recording a seizure, each client cycling through cases of its own
(so the numbers measure throughput, not conflicts, and cases keep a realistic size). HTTP runs against `jointcase serve` (uvicorn) in
its own process; clients are asyncio tasks on one httpx connection pool. Direct runs call
`JointCaseApp.record_seizure` from as many threads.

    python -m bench.http_vs_direct [--seconds 8] [--clients 1 8 32] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import httpx

from bench.common import bench_database, median, percentile, save
from domain.values import Actor, Context, Role
from jointcase.storage import build_app, init_database
from tests.pg import settings_env

COUNTY = "140221"
SEIZURE = {
    "brand": "中华(硬)",
    "quantity": "1",
    "unit": "carton",
    "value": "450.00",
    "price_basis": "provincial",
    "seized_at": "2026-03-02T03:10:00+08:00",
}


CASES_PER_CLIENT = 25


def direct_run(app, case_ids: list, clients: int, seconds: float) -> dict:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        actor = Actor(f"bench-{i}", COUNTY, Role.OFFICER)
        mine = case_ids[i]
        n = 0
        barrier.wait()
        while not stop.is_set():
            started = time.perf_counter()
            ctx = Context(actor, datetime.now(UTC), f"bench-{i}")
            n += 1
            app.record_seizure(
                mine[n % len(mine)],
                ctx,
                brand="中华",
                sticks=200,
                value="450.00",
                price_basis="provincial",
                seized_at=ctx.at,
            )
            latencies[i].append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return summarise([x for lat in latencies for x in lat], elapsed, 0)


async def http_run(base: str, token: str, case_ids: list, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:
        deadline = time.perf_counter() + seconds

        async def client(i: int) -> None:
            nonlocal errors
            paths = [f"/v1/cases/{case_id}/seizures" for case_id in case_ids[i]]
            n = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                n += 1
                r = await http.post(paths[n % len(paths)], json=SEIZURE)
                latencies.append(time.perf_counter() - started)
                if r.status_code != 201:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - began
    return summarise(latencies, elapsed, errors)


def summarise(latencies: list[float], elapsed: float, errors: int) -> dict:
    return {
        "commands": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per level")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    with bench_database("http") as settings:
        settings.pool_size = 8  # writes queue on the event-table lock anyway
        settings.max_overflow = 8
        app, _ = init_database(settings)
        from api.app import build_services

        services = build_services(settings, run_projections=False)
        _, token = services.officers.add(COUNTY, "officer", "bench")
        ctx = Context(Actor("bench", COUNTY, Role.OFFICER), datetime.now(UTC), "setup")
        case_ids = [
            [
                app.open_case(ctx, case_type="counterfeit", title=f"bench {i}.{j}").id
                for j in range(CASES_PER_CLIENT)
            ]
            for i in range(max(args.clients))
        ]
        env = settings_env(settings) | {
            "JOINTCASE_RUN_PROJECTIONS": "false",
            "JOINTCASE_POOL_SIZE": "8",
            "JOINTCASE_MAX_OVERFLOW": "8",
        }
        server = subprocess.Popen(
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
        base = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(base + "/v1/ready").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            direct_app = build_app(settings)
            results = {}
            for clients in args.clients:
                rounds = {"direct": [], "http": []}
                # warm-up
                asyncio.run(http_run(base, token, case_ids, clients, 1))
                direct_run(direct_app, case_ids, clients, 1)
                for _ in range(args.rounds):
                    rounds["direct"].append(direct_run(direct_app, case_ids, clients, args.seconds))
                    rounds["http"].append(
                        asyncio.run(http_run(base, token, case_ids, clients, args.seconds))
                    )
                d = median([r["per_second"] for r in rounds["direct"]])
                h = median([r["per_second"] for r in rounds["http"]])
                results[clients] = {
                    "direct": rounds["direct"],
                    "http": rounds["http"],
                    "direct_per_second": d,
                    "http_per_second": h,
                    "ratio": round(h / d, 3),
                }
                worst = max(rounds["http"], key=lambda r: r["p99_ms"])
                print(
                    f"{clients:>3} clients  direct {d:8.1f}/s  http {h:8.1f}/s  "
                    f"ratio {h / d:5.2f}  http p50 {worst['p50_ms']:6.2f} ms  "
                    f"p99 {worst['p99_ms']:6.2f} ms  errors {sum(r['errors'] for r in rounds['http'])}",
                    flush=True,
                )
            direct_app.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
            services.app.close()
            services.views.close()
            services.officers.pool.close()
            app.close()
    path = save(
        "http_vs_direct", {"workers": args.workers, "seconds": args.seconds, "results": results}
    )
    print(f"results in {path}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
