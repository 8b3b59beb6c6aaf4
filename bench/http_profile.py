"""Where the milliseconds of one write go over HTTP, beyond the use case: the same seizure
recorded through the whole ASGI application in this process (no network, no uvicorn) and by
calling `JointCaseApp.record_seizure` directly, one after the other, interleaved in chunks.

Measured per command: wall time and this process's CPU time (on a shared machine CPU moves far
less than wall time). `--profile` adds a profile of the ASGI requests (pyinstrument if installed,
else cProfile) with the time split by part of the request path.

    python -m bench.http_profile [-n 400] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import bench_database, median, percentile, save
from bench.http_vs_direct import COUNTY, SEIZURE
from domain.values import Actor, Context, Role
from jointcase.storage import init_database

CASES = 25


class Asgi:
    """Calls the ASGI application as uvicorn would: one `http` scope, the body in one message,
    the response collected."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"bench"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
        ]

    async def post(self, path: str, body: bytes) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status


async def timed(calls: int, one) -> tuple[list[float], float]:
    """Runs `one` (a coroutine function for HTTP, a plain one for direct) `calls` times. All of
    it runs in one task that lives as long as the run, as under uvicorn: anyio keeps its worker
    threads for the life of the root task, so a task per request would start a thread each."""
    latencies = []
    cpu0 = time.process_time()
    for i in range(calls):
        started = time.perf_counter()
        done = one(i)
        if done is not None:
            await done
        latencies.append(time.perf_counter() - started)
    return latencies, time.process_time() - cpu0


def summary(latencies: list[float], cpu: float) -> dict[str, float]:
    n = max(1, len(latencies))
    return {
        "commands": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "mean_ms": round(sum(latencies) * 1000 / n, 3),
        "cpu_ms": round(cpu * 1000 / n, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--commands", type=int, default=400, help="per side per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=50, help="interleaving step")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--name", default="http_profile")
    args = parser.parse_args()

    with bench_database("httpprof") as settings:
        init_database(settings)[0].close()
        from api.app import build_services, close_services, create_app

        services = build_services(settings, run_projections=False)
        app = services.app
        _, token = services.officers.add(COUNTY, "officer", "bench")
        ctx = Context(Actor("bench", COUNTY, Role.OFFICER), datetime.now(UTC), "setup")
        case_ids = [
            app.open_case(ctx, case_type="counterfeit", title=f"p{j}").id for j in range(CASES)
        ]
        paths = [f"/v1/cases/{c}/seizures" for c in case_ids]
        body = json.dumps(SEIZURE).encode()
        asgi_app = create_app(settings, services)
        client = Asgi(asgi_app, token)
        actor = Actor("bench", COUNTY, Role.OFFICER)

        async def http_one(i: int) -> None:
            status = await client.post(paths[i % CASES], body)
            if status != 201:
                raise SystemExit(f"HTTP answered {status}")

        def direct_one(i: int) -> None:
            c = Context(actor, datetime.now(UTC), "bench")
            app.record_seizure(
                case_ids[i % CASES],
                c,
                brand="中华",
                sticks=200,
                value="450.00",
                price_basis="provincial",
                seized_at=c.at,
            )

        async def run() -> dict[str, Any]:
            async with asgi_app.router.lifespan_context(asgi_app):
                for one in (http_one, direct_one):  # warm-up (and the token into the cache)
                    await timed(50, one)
                rounds: dict[str, list[dict[str, float]]] = {"direct": [], "http": []}
                for r in range(args.rounds):
                    acc: dict[str, tuple[list[float], float]] = {
                        "direct": ([], 0.0),
                        "http": ([], 0.0),
                    }
                    for start in range(0, args.commands, args.chunk):
                        order = [("direct", direct_one), ("http", http_one)]
                        flip = (start // args.chunk + r) % 2
                        for name, one in order[::-1] if flip else order:
                            lat, cpu = await timed(min(args.chunk, args.commands - start), one)
                            acc[name] = (acc[name][0] + lat, acc[name][1] + cpu)
                    for name, (lat, cpu) in acc.items():
                        rounds[name].append(summary(lat, cpu))
                result: dict[str, Any] = {"rounds": rounds}
                for name, measured in rounds.items():
                    result[name] = {
                        k: median([x[k] for x in measured]) for k in measured[0] if k != "commands"
                    }
                result["added"] = {
                    k: round(result["http"][k] - result["direct"][k], 3)
                    for k in ("p50_ms", "mean_ms", "cpu_ms")
                }
                for name in ("direct", "http", "added"):
                    print(f"{name:>7}  " + "  ".join(f"{k} {v}" for k, v in result[name].items()))
                if args.profile:
                    result["profile"] = await profile(http_one, args.commands)
                return result

        try:
            result = asyncio.run(run())
        finally:
            close_services(services)
    print(f"results in {save(args.name, result)}")


#: Parts of the request path, by the functions that do them (the innermost match wins). What
#: runs under `FastAPI.__call__` and matches none is the framework's own plumbing.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("framework: middleware, exception wrappers, routing plumbing", ("__call__",)),
    ("our middleware: correlation id, metrics, log line", ("RequestRecord.__call__",)),
    ("routing: matching the path", ("matches", "_match")),
    ("dependencies: FastAPI resolving them", ("solve_dependencies",)),
    ("auth: bearer header", ("HTTPBearer.__call__",)),
    ("auth: token cache (or lookup)", ("current_officer",)),
    ("body: read and JSON decode", ("Request.body", "Request.json")),
    ("body: validation (pydantic)", ("request_body_to_args",)),
    ("parameters: path, query, headers", ("request_params_to_args",)),
    ("write protocol: write_request (If-Match, key, context)", ("write_request",)),
    ("unknown query check", ("reject_unknown_query",)),
    ("endpoint: hand-off to the thread pool and back", ("run_endpoint_function",)),
    ("response: serialisation", ("serialize_response",)),
    ("response: sending", ("Response.__call__",)),
    ("our middleware: metrics", ("observe_request",)),
    ("our middleware: log line", ("Logger.info",)),
    ("event loop: waiting for the worker thread", ("select", "poll")),
]


def _part(frame: Any, inherited: str | None) -> str | None:
    name = f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function
    for label, keys in reversed(PARTS):
        if any(name == k or name.endswith("." + k) or frame.function == k for k in keys):
            return label
    return inherited


def breakdown(root: Any, calls: int) -> dict[str, float]:
    """Milliseconds per request of the event loop's thread, by part (wall time under the
    profiler: on a loaded machine it includes waiting for a core and for the GIL)."""
    parts: dict[str, float] = {}
    stack = [(root, None)]
    while stack:
        frame, inherited = stack.pop()
        part = _part(frame, inherited)
        if part is not None:
            parts[part] = parts.get(part, 0.0) + frame.total_self_time
        stack.extend((child, part) for child in frame.children)
    return {k: round(v * 1000 / calls, 3) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])}


async def profile(http_one, calls: int) -> dict[str, Any]:
    """The requests alone under pyinstrument (the event loop's thread: the use case runs in a
    worker thread and is not in it), or cProfile if pyinstrument is not installed."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        profiler = cProfile.Profile()
        profiler.enable()
        await timed(calls, http_one)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
        print(out.getvalue())
        return {"cprofile": out.getvalue()}
    p = Profiler(interval=0.001, async_mode="disabled")
    p.start()
    await timed(calls, http_one)
    p.stop()
    session = p.last_session
    parts = breakdown(session.root_frame(), calls) if session else {}
    busy = sum(ms for label, ms in parts.items() if not label.startswith("event loop"))
    print("event-loop thread, ms per request under the profiler (share of the busy time):")
    for label, ms in parts.items():
        share = "" if label.startswith("event loop") else f"{ms * 100 / busy:5.1f}%"
        print(f"  {ms:7.3f}  {share:>6}  {label}")
    return {"parts_ms": parts, "tree": p.output_text(unicode=False, color=False)}


if __name__ == "__main__":
    main()
