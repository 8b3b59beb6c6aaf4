"""The failover run: the API (uvicorn) and the projection worker against a three-member Patroni
cluster, a steady write load through the API, the leader killed with SIGKILL (and then a planned
switchover); then what a user would check: no acknowledged write lost, none recorded twice, how
long writes stopped, no error but 503, the views equal a rebuild and `audit verify` passes."""

from __future__ import annotations

import itertools
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import psycopg

from bench.failover.cluster import Cluster, free_port
from domain.chain import ChainSigner
from domain.informants import InformantCipher

ROOT = Path(__file__).resolve().parents[2]
COUNTY = "140221"


@dataclass
class Load:
    """A steady write load: each client registers leads one after another, each with a unique
    summary and its own Idempotency-Key; a 503 (or a 409 "still in progress") is retried with
    the same key after Retry-After, as a well-behaved client does."""

    base: str
    token: str
    clients: int = 4
    acked: list[tuple[float, str, str]] = field(default_factory=list)  # (time, summary, id)
    unavailable: int = 0  # 503 answers (retried)
    in_progress: int = 0  # 409 idempotency-key-in-progress answers (retried)
    transport: int = 0  # no answer from the API at all (retried)
    errors: list[tuple[int, str]] = field(default_factory=list)  # anything else
    reads: int = 0  # read-your-writes reads (`GET /v1/leads?q=<summary>&wait_for=<position>`)
    reads_missing: int = 0  # ... answered 200 without the lead just written
    reads_unavailable: int = 0  # ... answered 503 (view behind, database unavailable)
    read_errors: list[tuple[int, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for i in range(self.clients):
            t = threading.Thread(target=self._client, args=(i,), daemon=True)
            t.start()
            self._threads.append(t)

    def finish(self) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout=120)

    def _client(self, number: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=60) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                self._write(http, f"failover c{number} n{n} {uuid4().hex[:8]}")

    def _write(self, http: httpx.Client, summary: str) -> None:
        body = {"summary": summary, "source": "tip_off", "place_county": COUNTY}
        key = uuid4().hex
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                r = http.post("/v1/leads", json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                with self._lock:
                    self.transport += 1
                time.sleep(0.5)
                continue
            if r.status_code == 201:
                written = r.json()
                with self._lock:
                    self.acked.append((time.monotonic(), summary, written["id"]))
                self._read_own_write(http, summary, written)
                return
            retry_after = float(r.headers.get("Retry-After", "1"))
            if r.status_code == 503:
                with self._lock:
                    self.unavailable += 1
                time.sleep(min(retry_after, 2))
                continue
            if r.status_code == 409 and "in-progress" in r.text:
                with self._lock:
                    self.in_progress += 1
                time.sleep(min(retry_after, 2))
                continue
            with self._lock:
                self.errors.append((r.status_code, r.text[:300]))
            return
        with self._lock:
            self.errors.append((0, f"gave up after 90 s: {summary}"))

    def _read_own_write(self, http: httpx.Client, summary: str, written: dict[str, Any]) -> None:
        """Reads the lead register (a view; on a standby with JOINTCASE_READ_FROM_STANDBY) at
        the write's position: the lead must be there."""
        params = {"q": summary, "wait_for": str(written["position"])}
        try:
            r = http.get("/v1/leads", params=params)
        except httpx.TransportError:
            with self._lock:
                self.reads_unavailable += 1
            return
        with self._lock:
            self.reads += 1
            if r.status_code == 503:
                self.reads_unavailable += 1
            elif r.status_code != 200:
                self.read_errors.append((r.status_code, r.text[:300]))
            elif written["id"] not in {str(item["lead_id"]) for item in r.json()["items"]}:
                self.reads_missing += 1

    def acked_since(self, moment: float) -> int:
        with self._lock:
            return sum(1 for t, _, _ in self.acked if t >= moment)

    def longest_gap(self, start: float, end: float) -> float:
        """The longest time without an acknowledged write between ``start`` and ``end``."""
        with self._lock:
            times = sorted(t for t, _, _ in self.acked if start <= t <= end)
        points = [start, *times, end]
        return max(b - a for a, b in itertools.pairwise(points))


class Stack:
    """The API and the worker, run as a deployment runs them, against the cluster."""

    def __init__(self, cluster: Cluster, folder: Path, api_workers: int = 2) -> None:
        self.cluster = cluster
        self.folder = folder
        self.port = free_port()
        self.api_workers = api_workers
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("JOINTCASE_", "PG"))},
            "DATABASE_URL": cluster.database_url(),
            "JOINTCASE_INFORMANT_KEY": InformantCipher.generate_key_text(),
            "JOINTCASE_CHAIN_KEY": ChainSigner.generate_key_text(),
            "JOINTCASE_TOKEN_PEPPER": secrets.token_urlsafe(32),
            "JOINTCASE_CHECKPOINT_INTERVAL": "0",
            "JOINTCASE_RUN_PROJECTIONS": "false",
            "JOINTCASE_READ_FROM_STANDBY": "true",
            "PYTHONPATH": str(ROOT),
        }
        self.env.pop("DATABASE_URL_", None)
        self.api: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "jointcase", *args],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"jointcase {' '.join(args)}: {done.stdout}{done.stderr}")
        return done

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "jointcase", *args],
            env=self.env,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def prepare(self) -> str:
        """Creates the database and its tables; returns an officer's token."""
        leader = self.cluster.database_url("postgres")
        with psycopg.connect(leader, autocommit=True) as conn:
            conn.execute("CREATE DATABASE jointcase")
        self.cli("db", "init")
        out = self.cli("officers", "add", "--county", COUNTY, "--role", "officer", "--name", "压测")
        return out.stdout.split("token (shown once):", 1)[1].strip()

    def start(self) -> None:
        self.api = self._spawn(
            "api",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.api_workers),
        )
        self.start_worker()
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.base + "/v1/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.api.poll() is not None:
                raise RuntimeError(f"the API did not start: see {self.folder / 'api.log'}")
            time.sleep(0.3)

    def start_worker(self) -> None:
        self.worker = self._spawn("worker", "worker")

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()

    def stop(self) -> None:
        self.stop_worker()
        if self.api is not None and self.api.poll() is None:
            os.killpg(self.api.pid, signal.SIGTERM)
            try:
                self.api.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.api.pid, signal.SIGKILL)
                self.api.wait()

    # --- what a user checks afterwards ---------------------------------------------------------
    def wait_caught_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.cli("projections", "health", "--max-lag", "0", check=False).returncode == 0:
                return
            time.sleep(1)
        raise TimeoutError(
            "the worker did not catch up: " + self.cli("projections", "status").stdout
        )

    def recorded_leads(self) -> dict[str, list[str]]:
        """Summary -> ids of the leads registered with it, read from the event log itself."""
        from jointcase.settings import Settings
        from jointcase.storage import build_app

        settings = Settings(_env_file=None, **_settings_kwargs(self.env))  # type: ignore[call-arg]
        app = build_app(settings)
        found: dict[str, list[str]] = {}
        try:
            start = 0
            while True:
                page = app.recorder.select_notifications(start=start, limit=1000)
                if not page:
                    break
                for n in page:
                    if n.topic.endswith("Lead.Registered"):
                        event: Any = app.mapper.to_domain_event(n)
                        found.setdefault(event.summary, []).append(str(event.originator_id))
                start = page[-1].id + 1
        finally:
            app.close()
        return found

    def sessions(self) -> dict[str, str]:
        """Each member's role and how many sessions jointcase holds on it (the API's view reads
        show on a standby with JOINTCASE_READ_FROM_STANDBY)."""
        found = {}
        for m in self.cluster.members:
            try:
                with psycopg.connect(
                    f"postgresql://postgres@127.0.0.1:{m.pg_port}/postgres", connect_timeout=2
                ) as conn:
                    row = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'jointcase'"
                    ).fetchone()
                found[m.name] = f"{m.role()}: {row[0] if row else 0} sessions"
            except psycopg.OperationalError:
                found[m.name] = "down"
        return found

    def view_rows(self) -> dict[str, list[str]]:
        from projections.registry import VIEW_CLASSES

        rows: dict[str, list[str]] = {}
        with psycopg.connect(self.cluster.database_url()) as conn:
            for cls in VIEW_CLASSES:
                for table in cls.tables:
                    rows[table] = [
                        r[0] for r in conn.execute(f'SELECT t::text FROM "{table}" t ORDER BY 1')
                    ]
        return rows


def _settings_kwargs(env: dict[str, str]) -> dict[str, Any]:
    return {
        "database_url": env["DATABASE_URL"],
        "informant_key": env["JOINTCASE_INFORMANT_KEY"],
        "chain_key": env["JOINTCASE_CHAIN_KEY"],
        "token_pepper": env["JOINTCASE_TOKEN_PEPPER"],
    }


@dataclass
class Phase:
    """One disruption under load and what it cost."""

    name: str
    old_leader: str
    new_leader: str
    seconds_without_writes: float
    seconds_to_new_leader: float
    acked_during: int


def disrupt(name: str, cluster: Cluster, load: Load, action: Any, settle: float) -> Phase:
    old = cluster.leader()
    assert old is not None
    t0 = time.monotonic()
    action(old)
    new = None
    while new is None or new.name == old.name:
        if time.monotonic() - t0 > 120:
            raise TimeoutError(f"{name}: no new leader after 120 s: {cluster.roles()}")
        time.sleep(0.2)
        new = cluster.leader()
    promoted = time.monotonic() - t0
    # Writes resume once the API reaches the new leader; measure until `settle` after that.
    while load.acked_since(t0 + promoted) == 0 and time.monotonic() - t0 < 120:
        time.sleep(0.2)
    time.sleep(settle)
    return Phase(
        name=name,
        old_leader=old.name,
        new_leader=new.name,
        seconds_without_writes=load.longest_gap(t0 - 1, time.monotonic()),
        seconds_to_new_leader=promoted,
        acked_during=load.acked_since(t0),
    )


def run(
    cluster: Cluster,
    *,
    warmup: float = 10,
    settle: float = 8,
    clients: int = 4,
    switchover: bool = True,
    say: Any = print,
) -> dict[str, Any]:
    folder = cluster.root / "app"
    folder.mkdir()
    stack = Stack(cluster, folder)
    result: dict[str, Any] = {"members": len(cluster.members), "clients": clients}
    try:
        token = stack.prepare()
        stack.start()
        say(f"cluster {cluster.roles()}; API on {stack.base}; load: {clients} clients")
        load = Load(stack.base, token, clients=clients)
        started = time.monotonic()
        load.start()
        time.sleep(warmup)
        result["sessions_under_load"] = stack.sessions()
        before = len(load.acked)
        result["writes_per_second_before"] = round(before / (time.monotonic() - started), 1)
        say(f"steady load: {result['writes_per_second_before']} writes/s; killing the leader")

        phases = [disrupt("sigkill-leader", cluster, load, cluster.kill, settle)]
        say(f"  {phases[-1]}")
        if switchover:
            # The killed member comes back (rejoins as a replica, rewound if needed), then a
            # planned switchover moves the leadership to another member.
            killed = next(m for m in cluster.members if m.name == phases[-1].old_leader)
            cluster.start_member(killed)
            cluster.wait_healthy(replicas=len(cluster.members) - 1, timeout=120)

            def planned(old: Any) -> None:
                candidate = next(
                    m for m in cluster.members if m.name != old.name and m.role() == "sync"
                )
                done = cluster.patronictl(
                    "switchover",
                    cluster.scope,
                    "--leader",
                    old.name,
                    "--candidate",
                    candidate.name,
                    "--force",
                )
                if done.returncode != 0:
                    raise RuntimeError(f"patronictl switchover: {done.stdout}{done.stderr}")

            phases.append(disrupt("switchover", cluster, load, planned, settle))
            say(f"  {phases[-1]}")
        load.finish()
        result["phases"] = [vars(p) for p in phases]

        stack.wait_caught_up()
        recorded = stack.recorded_leads()
        acked = {summary: lead_id for _, summary, lead_id in load.acked}
        result["acknowledged_writes"] = len(acked)
        result["acknowledged_writes_lost"] = sum(
            1 for summary, lead_id in acked.items() if lead_id not in recorded.get(summary, [])
        )
        result["duplicates"] = sum(len(ids) - 1 for ids in recorded.values() if len(ids) > 1)
        result["answers_503"] = load.unavailable
        result["answers_409_in_progress"] = load.in_progress
        result["no_answer"] = load.transport
        result["errors_other_than_503"] = len(load.errors)
        result["error_samples"] = load.errors[:5]
        result["read_your_writes_reads"] = load.reads
        result["read_your_writes_missing"] = load.reads_missing
        result["read_your_writes_503"] = load.reads_unavailable
        result["read_errors"] = len(load.read_errors)
        result["read_error_samples"] = load.read_errors[:5]
        result["seconds_without_writes"] = max(p.seconds_without_writes for p in phases)

        live = stack.view_rows()
        stack.stop_worker()
        stack.cli("projections", "rebuild")
        result["views_equal_rebuild"] = live == stack.view_rows()
        if not result["views_equal_rebuild"]:
            rebuilt = stack.view_rows()
            result["views_differing"] = sorted(t for t in live if live[t] != rebuilt.get(t))
        verify = stack.cli("audit", "verify", check=False)
        result["audit_verify_passes"] = verify.returncode == 0
        result["audit_verify"] = (verify.stdout + verify.stderr).strip().splitlines()[-1:]
    finally:
        stack.stop()
    return result
