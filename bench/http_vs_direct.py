"""Write commands per second over HTTP against the application layer called directly, with the
same number of concurrent clients, in the same run and database.

The command is one event: recording a seizure, each client cycling through cases of its own
(so the numbers measure throughput, not conflicts, and cases keep a realistic size). HTTP runs against `jointcase serve` (uvicorn) in
its own process; clients are asyncio tasks on one httpx connection pool. Direct runs call
`JointCaseApp.record_seizure` from as many threads.

    python -m bench.http_vs_direct [--seconds 8] [--clients 1 8 32] [--workers 1]

With `--baseline DIR` (a source tree of another version, e.g. `git worktree add DIR main`), a
second server runs from that tree against the same database and is measured in the same rounds,
so a change is compared before and after under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.common import RESULTS, bench_database, median, percentile, save
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


class RawConnection:
    """One keep-alive HTTP/1.1 connection written by hand: the request's bytes out, the status
    line, headers and `Content-Length` body in. httpx spends about as much CPU per request as
    the server does, on the same two cores, so with it the benchmark partly measures its own
    client (`--client httpx` keeps it for comparison)."""

    def __init__(self, base: str, token: str) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.head = (
            f"Host: {base.removeprefix('http://')}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()

    async def __aenter__(self) -> RawConnection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()

    async def post(self, path: str, body: bytes) -> int:
        self.writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.head, len(body), body)
        )
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


async def raw_run(base: str, token: str, case_ids: list, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    body = json.dumps(SEIZURE).encode()
    deadline = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        paths = [f"/v1/cases/{case_id}/seizures" for case_id in case_ids[i]]
        n = 0
        async with RawConnection(base, token) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                n += 1
                status = await http.post(paths[n % len(paths)], body)
                latencies.append(time.perf_counter() - started)
                if status != 201:
                    errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    return summarise(latencies, elapsed, errors)


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


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (the uvicorn workers)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def measured(server_pid: int | None, run, *args) -> dict:
    """Runs one round and adds the CPU it cost per command: the calling process's own (the
    client, or the direct caller) and the server's."""
    client0 = own_cpu()
    server0 = tree_cpu(server_pid) if server_pid else 0.0
    result = run(*args)
    n = max(1, result["commands"])
    result["own_cpu_ms"] = round((own_cpu() - client0) * 1000 / n, 3)
    if server_pid:
        result["server_cpu_ms"] = round((tree_cpu(server_pid) - server0) * 1000 / n, 3)
    return result


def summarise(latencies: list[float], elapsed: float, errors: int) -> dict:
    return {
        "commands": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "errors": errors,
    }


def start_server(
    env: dict[str, str], port: int, workers: int, tree: Path | None
) -> tuple[subprocess.Popen, str]:
    """`jointcase serve` from this tree, or from another one (the baseline)."""
    if tree is not None:
        tree = tree.resolve()
        env = env | {"PYTHONPATH": str(tree)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / f"http_vs_direct-server-{port}.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jointcase",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=log,  # why a server did not become ready
    )
    return server, f"http://127.0.0.1:{port}"


def wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(base + "/v1/ready").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{base} did not become ready (its log: bench/results/)")


def print_targets(results: dict, names: list[str]) -> None:
    """The issue's three targets, from this run: at 8 clients (the most measured if not 8)
    HTTP at least 0.8 of the direct rate and p99 at most 50 ms (the direct call's own p99 beside
    it); at 1 client the p50 HTTP adds to the direct call at most 2 ms. Rounds alternate, so
    each figure has its baseline from the same minutes."""
    many = 8 if 8 in results else max(results)
    print("targets (issue 12.1), this run:")
    for name in names:
        if many in results and many > 1:
            r = results[many]
            h = r[name]
            print(
                f"  {name:>8} {many} clients: {h['ratio']:.2f} of direct (>= 0.80: "
                f"{'met' if h['ratio'] >= 0.8 else 'missed'}), p99 {h['p99_ms']:.1f} ms "
                f"(<= 50: {'met' if h['p99_ms'] <= 50 else 'missed'}; direct's own "
                f"{r['direct_p99_ms']:.1f} ms)"
            )
        if 1 in results:
            r = results[1]
            h = r[name]
            print(
                f"  {name:>8} 1 client: p50 {h['p50_ms']:.2f} ms against direct "
                f"{r['direct_p50_ms']:.2f} ms, added {h['added_p50_ms']:+.2f} ms (<= 2: "
                f"{'met' if h['added_p50_ms'] <= 2 else 'missed'})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per level")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="HTTP client: a hand-written keep-alive connection (default) or httpx",
    )
    parser.add_argument(
        "--uncached-too",
        action="store_true",
        help="also serve this tree with JOINTCASE_TOKEN_CACHE_SECONDS=0 (every token looked up)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="source tree of another version to serve and measure in the same rounds",
    )
    args = parser.parse_args()
    run = raw_run if args.client == "raw" else http_run

    with bench_database("http") as settings:
        settings.pool_size = 8  # writes queue on the event-table lock anyway
        settings.max_overflow = 8
        app, _ = init_database(settings)
        from api.app import build_services, close_services

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
        servers = {"http": start_server(env, args.port, args.workers, None)}
        if args.uncached_too:
            uncached = env | {"JOINTCASE_TOKEN_CACHE_SECONDS": "0"}
            servers["uncached"] = start_server(uncached, args.port + 2, args.workers, None)
        if args.baseline is not None:
            servers["baseline"] = start_server(env, args.port + 1, args.workers, args.baseline)
        try:
            for _, base in servers.values():
                wait_ready(base)
            direct_app = build_app(settings)
            results = {}
            for clients in args.clients:
                rounds: dict[str, list[dict]] = {"direct": [], **{name: [] for name in servers}}
                # warm-up
                for _, base in servers.values():
                    asyncio.run(run(base, token, case_ids, clients, 1))
                direct_run(direct_app, case_ids, clients, 1)
                for n in range(args.rounds):
                    rounds["direct"].append(
                        measured(None, direct_run, direct_app, case_ids, clients, args.seconds)
                    )
                    order = list(servers.items())
                    for name, (server, base) in order if n % 2 == 0 else order[::-1]:
                        rounds[name].append(
                            measured(
                                server.pid,
                                lambda *a: asyncio.run(run(*a)),
                                base,
                                token,
                                case_ids,
                                clients,
                                args.seconds,
                            )
                        )
                d = median([r["per_second"] for r in rounds["direct"]])
                d50 = median([r["p50_ms"] for r in rounds["direct"]])
                d99 = max(r["p99_ms"] for r in rounds["direct"])
                dcpu = median([r["own_cpu_ms"] for r in rounds["direct"]])
                results[clients] = {
                    "rounds": rounds,
                    "direct_per_second": d,
                    "direct_p50_ms": d50,
                    "direct_p99_ms": d99,
                    "direct_cpu_ms": dcpu,
                }
                print(
                    f"{clients:>3} clients  direct {d:8.1f}/s  p50 {d50:6.2f} ms  p99 "
                    f"{d99:6.2f} ms  CPU/command {dcpu:5.2f} ms",
                    flush=True,
                )
                for name in servers:
                    h = median([r["per_second"] for r in rounds[name]])
                    h50 = median([r["p50_ms"] for r in rounds[name]])
                    worst = max(rounds[name], key=lambda r: r["p99_ms"])
                    scpu = median([r["server_cpu_ms"] for r in rounds[name]])
                    ccpu = median([r["own_cpu_ms"] for r in rounds[name]])
                    results[clients][name] = {
                        "server_cpu_ms": scpu,
                        "client_cpu_ms": ccpu,
                        "per_second": h,
                        "ratio": round(h / d, 3),
                        "p50_ms": h50,
                        "added_p50_ms": round(h50 - d50, 2),
                        "p99_ms": worst["p99_ms"],
                        "errors": sum(r["errors"] for r in rounds[name]),
                    }
                    print(
                        f"{'':>11}{name:>8} {h:8.1f}/s  ratio {h / d:5.2f}  p50 {h50:6.2f} ms "
                        f"(+{h50 - d50:5.2f})  p99 {worst['p99_ms']:6.2f} ms  "
                        f"CPU/command server {scpu:5.2f} ms client {ccpu:5.2f} ms  "
                        f"errors {results[clients][name]['errors']}",
                        flush=True,
                    )
            direct_app.close()
            print_targets(results, list(servers))
        finally:
            for server, _ in servers.values():
                server.terminate()
                server.wait(timeout=20)
            close_services(services)
            app.close()
    path = save(
        "http_vs_direct",
        {
            "workers": args.workers,
            "seconds": args.seconds,
            "client": args.client,
            "baseline": str(args.baseline) if args.baseline else None,
            "results": results,
        },
    )
    print(f"results in {path}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
