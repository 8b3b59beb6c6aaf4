"""The command line: start the API workers and the projection worker, run the traffic, then check
the event log and the read models against what was accepted."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

import httpx
import psycopg

from bench.common import bench_database, percentile, save
from bench.load import __doc__ as USAGE
from bench.load.traffic import COUNTIES, EXPECTED_REFUSALS, Load, drive
from jointcase.storage import init_database, resolve_database
from tests.pg import settings_env


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
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=(USAGE or "").split("\n\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=3, help="officers per county")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--port", type=int, default=8777)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with bench_database("load") as settings:
        settings.pool_size = 4
        init_database(settings)
        from api.app import build_services, close_services

        services = build_services(settings, run_projections=False)
        tokens = {
            c: [services.officers.add(c, "officer", f"load {c} {i}")[1] for i in range(args.users)]
            for c in COUNTIES
        }
        close_services(services)
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
