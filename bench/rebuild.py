"""Read-model throughput at scale: rebuilding every view over 1,000,000 recorded events against
the raw rate of reading and decoding the same log, in the same run; view query latency at that
size; projection lag under a steady write load.

    python -m bench.rebuild                      # 1,000,000 events, a fresh database, dropped after
    python -m bench.rebuild --events 50000       # a small run, to try it
    python -m bench.rebuild --page-sizes 1000 5000 10000 --profile-events 100000

bench/README.md says what is measured and gives the figures."""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from bench.app_vs_raw import machine
from bench.common import RESULTS, bench_database, median, percentile, save
from domain.case import Case, merge, unmerge
from domain.errors import DomainError
from domain.jurisdiction import CaseNumberSequence
from domain.lead import Lead
from domain.policy import PoliceThresholds, police_advice
from domain.values import Actor, Context, Role
from jointcase.settings import Settings
from jointcase.storage import build_app, init_database, library_env, resolve_database
from projections.base import BatchRunner, View
from projections.registry import Views, build_views
from service.app import JointCaseApp

COUNTIES = ("150924", "140221", "140222", "130725", "130728", "130708")
OFFICERS_PER_COUNTY = 12
TARGET_REBUILD_RATIO = 0.25
TARGET_QUERY_P99_MS = 20.0
TARGET_LAG_P99_MS = 250.0
OTHER_BENCHES = r"bench[./](app_vs_raw|http_vs_direct|load|rebuild)|pytest"
#: The bulk history runs over the two years before this one; the seed set (use cases) is recorded
#: now. Stories run on for weeks after they start; no bulk case is opened in this year, whose
#: case-number sequences the use cases own.
BULK_YEARS_BEFORE = datetime.now(UTC).year
BULK_FROM = datetime(BULK_YEARS_BEFORE - 2, 1, 1, tzinfo=UTC)
BULK_TO = datetime(BULK_YEARS_BEFORE - 1, 11, 30, tzinfo=UTC)

BRANDS = ("中华", "玉溪", "芙蓉王", "黄鹤楼", "云烟", "利群", "南京", "红塔山", "苏烟", "双喜")
PLACES = (
    "城关镇",
    "新华路",
    "物流园",
    "火车站",
    "客运站",
    "批发市场",
    "城郊",
    "开发区",
    "高速服务区",
)
SOURCES = ("tip_off", "market_inspection", "parcel_screening", "online", "bureau_notice")
CASE_TYPES = ("counterfeit", "smuggled", "illegal_circulation", "unlicensed", "online_parcel")
OUTCOMES = ("penalty", "confiscation", "referred", "unfounded")
SEARCH_WORDS = ("中华", "物流", "假烟", "走私", "2025-0", "-2024-01", "批发市场", "快递")


def officer(county: str, rng: random.Random) -> Actor:
    return Actor(f"{county}-o{rng.randrange(OFFICERS_PER_COUNTY):02d}", county, Role.OFFICER)


def other_county(county: str, rng: random.Random) -> str:
    return rng.choice([c for c in COUNTIES if c != county])


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def other_processes() -> list[str]:
    """What used the CPU over the last two seconds (top's second frame), for the record of
    what else ran on the machine."""
    try:
        out = subprocess.run(
            ["top", "-b", "-n", "2", "-d", "2", "-o", "%CPU", "-w", "200"],
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    frame = out[out.rfind("top -") :].splitlines()
    header = next((i for i, line in enumerate(frame) if line.lstrip().startswith("PID")), None)
    if header is None:
        return []
    lines = [line.strip() for line in frame[:header] if line.startswith(("top -", "%Cpu"))]
    return lines + [" ".join(line.split()) for line in frame[header + 1 : header + 7]]


def others_running(pattern: str = OTHER_BENCHES) -> list[str]:
    """Command lines of other benchmarks or test runs of this project running right now."""
    found = subprocess.run(
        ["pgrep", "-af", pattern], capture_output=True, text=True, check=False
    ).stdout.strip()
    mine = {str(os.getpid()), str(os.getppid())}  # this run (and a `timeout` around it)
    return [line[:120] for line in found.splitlines() if line.split()[0] not in mine]


def wait_for_other_benches(
    max_minutes: float, pattern: str = OTHER_BENCHES, poll: float = 30.0
) -> dict[str, Any]:
    """Waits (at most `max_minutes`) until no other benchmark or test run of this project runs
    (processes whose command line matches `pattern`)."""
    started = time.monotonic()
    while True:
        found = others_running(pattern)
        waited = time.monotonic() - started
        if not found or waited >= max_minutes * 60:
            return {"waited_s": round(waited), "still_running": found}
        print(f"  waiting for other benchmarks to finish ({waited:.0f} s): {found}")
        time.sleep(poll)


# --- the history ----------------------------------------------------------------------------------
@dataclass
class Clock:
    """Contexts at increasing moments of one story (a lead and the case made of it)."""

    at: datetime
    rng: random.Random
    tag: str
    n: int = 0

    def ctx(self, county: str, after_hours: float = 0.0) -> Context:
        self.at += timedelta(hours=after_hours, seconds=self.rng.randrange(1, 600))
        self.n += 1
        return Context(officer(county, self.rng), self.at, f"{self.tag}-{self.n}")


@dataclass
class Batch:
    aggregates: list[Any] = field(default_factory=list)
    open_cases: list[tuple[Case, Clock]] = field(default_factory=list)


class HistoryWriter:
    """Builds leads and cases with the domain's own commands, in memory, and records their events
    through the library's recorder in large transactions (one `insert_events` per batch)."""

    def __init__(self, app: JointCaseApp, rng: random.Random, recent_days: float = 60.0) -> None:
        self.app = app
        self.rng = rng
        self.sequences: dict[tuple[str, int], CaseNumberSequence] = {}
        self.recent_from = BULK_TO - timedelta(days=recent_days)
        self.thresholds = PoliceThresholds()
        self.stories = 0

    def done(self, p_old: float, at: datetime) -> bool:
        """Whether something was settled: old work almost always is, recent work often not."""
        p = p_old if at < self.recent_from else p_old * 0.5
        return self.rng.random() < p

    def story(self, start: datetime, batch: Batch) -> None:
        """A lead: registered, perhaps corroborated, referred, accepted, fed back on; often
        opened as a case that gets seizures, co-handlers, assistance, police, closure."""
        rng = self.rng
        self.stories += 1
        clock = Clock(start, rng, f"bulk-{self.stories}")
        county = rng.choice(COUNTIES)
        lead_id = uuid.uuid4()
        ciphertext = ref = None
        if rng.random() < 0.25:
            ciphertext, ref = self.app.cipher.seal(f"举报人{rng.randrange(10**6):06d}", lead_id)
        ctx = clock.ctx(county)
        lead = Lead.register(
            lead_id=lead_id,
            ctx=ctx,
            summary=f"{rng.choice(PLACES)}发现疑似{rng.choice(BRANDS)}假烟 {rng.randrange(1, 80)}条",
            source=rng.choice(SOURCES),
            place_county=county if rng.random() < 0.7 else other_county(county, rng),
            place_detail=f"{rng.choice(PLACES)}{rng.randrange(1, 300)}号",
            suspected_parties=[f"嫌疑人{rng.randrange(10**4)}" for _ in range(rng.randrange(3))],
            informant_ciphertext=ciphertext,
            informant_ref=ref,
            received_at=ctx.at - timedelta(hours=rng.randrange(1, 48)),
        )
        batch.aggregates.append(lead)
        responsible = county
        if rng.random() < 0.15:
            lead.corroborate(
                rng.choice(("seen", "not_found")),
                "走访核实",
                clock.ctx(other_county(county, rng), 20),
            )
        if rng.random() < 0.05:
            lead.share([other_county(county, rng)], "通报", clock.ctx(county, 2))
        if rng.random() < 0.55:
            to = other_county(county, rng)
            ctx = clock.ctx(county, rng.uniform(1, 48))
            lead.refer(
                to,
                "线索涉及对方辖区",
                ctx,
                acknowledge_by=ctx.at + timedelta(days=3),
                feedback_by=ctx.at + timedelta(days=15),
            )
            if self.done(0.95, clock.at):
                roll = rng.random()
                if roll < 0.78:
                    lead.accept_referral(clock.ctx(to, rng.uniform(2, 60)))
                    responsible = to
                    feedbacks = rng.randrange(1, 4)
                    for i in range(feedbacks):
                        if not self.done(0.97, clock.at):
                            break
                        last = i == feedbacks - 1
                        lead.give_feedback(
                            "已查处" if last else "正在核查",
                            last,
                            clock.ctx(to, rng.uniform(24, 200)),
                        )
                elif roll < 0.95:
                    lead.decline_referral("不属本辖区", clock.ctx(to, rng.uniform(2, 60)))
                else:
                    lead.withdraw_referral(to, "已自行处理", clock.ctx(county, rng.uniform(2, 60)))
        if rng.random() < 0.48:
            self.case(clock, responsible, [lead], batch)
        elif self.done(0.4, clock.at):
            lead.close("unfounded", "查无实据", clock.ctx(responsible, rng.uniform(24, 400)))
        if rng.random() < 0.08:  # a case opened without a lead (an inspection on the spot)
            self.case(Clock(start, rng, f"bulk-{self.stories}b"), rng.choice(COUNTIES), [], batch)

    def case(self, clock: Clock, county: str, leads: list[Lead], batch: Batch) -> None:
        rng = self.rng
        ctx = clock.ctx(county, rng.uniform(1, 72))
        year = ctx.at.year
        if year >= BULK_YEARS_BEFORE:
            return
        sequence = self.sequences.get((county, year))
        if sequence is None:
            sequence = self.sequences[(county, year)] = CaseNumberSequence.start(county, year, ctx)
        case_id = uuid.uuid4()
        number = sequence.issue(case_id, ctx)
        brand = rng.choice(BRANDS)
        case = Case.open(
            case_id=case_id,
            number=number,
            year=year,
            ctx=ctx,
            case_type=rng.choice(CASE_TYPES),
            title=f"{rng.choice(PLACES)}{brand}案",
            summary=f"查获{brand}等卷烟 涉嫌{rng.choice(('销售假烟', '走私', '无证经营', '快递寄递'))}",
            lead_ids=[lead.id for lead in leads],
            opened_at=ctx.at - timedelta(hours=rng.randrange(0, 72)),
        )
        for lead in leads:
            lead.convert_to_case(case_id, number, ctx)
        batch.aggregates.append(case)
        acting = [county]
        if rng.random() < 0.3:
            co = other_county(county, rng)
            case.invite_co_handler(co, "请协助办理", clock.ctx(county, rng.uniform(2, 96)))
            if self.done(0.98, clock.at):
                if rng.random() < 0.85:
                    case.accept_co_handling(clock.ctx(co, rng.uniform(2, 72)))
                    acting.append(co)
                else:
                    case.decline_co_handling("人力不足", clock.ctx(co, rng.uniform(2, 72)))
        for _ in range(rng.choice((1, 1, 1, 2)) if rng.random() < 0.25 else 0):
            to = other_county(county, rng)
            ctx = clock.ctx(county, rng.uniform(2, 96))
            request_id = uuid.uuid4()
            case.request_assistance(request_id, to, "协查物流信息", ctx.at + timedelta(days=7), ctx)
            if self.done(0.95, clock.at):
                case.answer_assistance(request_id, "已协查", clock.ctx(to, rng.uniform(4, 150)))
        # Heavy-tailed seizures: median about 16, mean about 27, a few cases with hundreds.
        seizures = min(400, int(rng.lognormvariate(2.8, 1.0)))
        for _ in range(seizures):
            ctx = clock.ctx(
                rng.choice(acting) if rng.random() < 0.3 else county, rng.uniform(0, 20)
            )
            cartons = rng.choice((1, 2, 5, 10, 20, 50, 100))
            case.record_seizure(
                seizure_id=uuid.uuid4(),
                ctx=ctx,
                brand=rng.choice(BRANDS),
                sticks=200 * cartons,
                value=Decimal(cartons * rng.choice((180, 230, 450, 650))),
                price_basis=rng.choice(("provincial", "provincial", "national", "actual_sale")),
                seized_at=ctx.at - timedelta(hours=rng.randrange(0, 12)),
                specification=rng.choice(("硬盒", "软盒", "细支", "")),
                place=rng.choice(PLACES),
                disposition=rng.choice(("unsold", "unsold", "sold")),
            )
        advice = police_advice(case.seizure_totals(), self.thresholds)
        if advice and rng.random() < 0.5:
            ctx = clock.ctx(county, rng.uniform(24, 200))
            case.refer_to_police("县公安局经侦大队", ctx.at, "达到刑事立案标准", advice, ctx)
            if self.done(0.8, clock.at):
                ctx = clock.ctx(county, rng.uniform(24, 300))
                case.record_police_acceptance(ctx.at, f"公(经)立字{rng.randrange(10**5)}号", ctx)
        if self.done(0.75, clock.at):
            case.close(rng.choice(OUTCOMES), "调查终结", clock.ctx(county, rng.uniform(24, 600)))
            if rng.random() < 0.04:
                case.reopen("发现新证据", clock.ctx(county, rng.uniform(24, 600)))
        if case.status == "open":
            batch.open_cases.append((case, clock))

    def merges(self, batch: Batch) -> None:
        """About 4% of the open cases of a batch are merged into another one (half of them across
        counties, with both consents); one merge in ten is reversed."""
        rng = self.rng
        cases = batch.open_cases[:]
        rng.shuffle(cases)
        for k in range(0, int(len(cases) * 0.04) * 2, 2):
            (absorbed, c1), (survivor, c2) = cases[k], cases[k + 1]
            clock = c1 if c1.at > c2.at else c2
            reason = "同一批货源"
            try:
                if absorbed.county != survivor.county:
                    merge(absorbed, survivor, reason, clock.ctx(absorbed.county, 24), [])
                merge(absorbed, survivor, reason, clock.ctx(survivor.county, 24), [])
                if rng.random() < 0.1:
                    unmerge(absorbed, survivor, "并案错误", clock.ctx(survivor.county, 48))
            except DomainError:
                continue

    def write(self, target_events: int, batch_events: int, log: Callable[[str], None]) -> int:
        """Records stories until about `target_events` events are in; returns how many."""
        recorded = 0
        started = time.perf_counter()
        span = (BULK_TO - BULK_FROM).total_seconds()
        while recorded < target_events:
            batch = Batch()
            pending = 0
            while pending < batch_events and recorded + pending < target_events:
                progress = (recorded + pending) / target_events
                before = len(batch.aggregates)
                self.story(BULK_FROM + timedelta(seconds=span * progress), batch)
                pending += sum(len(a.pending_events) for a in batch.aggregates[before:])
            self.merges(batch)
            events = [e for a in batch.aggregates for e in a.collect_events()]
            events += [e for s in self.sequences.values() for e in s.collect_events()]
            events.sort(key=lambda e: e.timestamp)  # stable: each aggregate keeps its order
            self.app.recorder.insert_events([self.app.mapper.to_stored_event(e) for e in events])
            recorded += len(events)
            elapsed = time.perf_counter() - started
            log(f"  {recorded:,} events recorded ({recorded / elapsed:,.0f}/s)")
        return recorded


# --- the seed set, through the use cases ----------------------------------------------------------
@dataclass
class Seed:
    cases: dict[UUID, str]  # open, unmerged case -> its county
    events: int
    commands: int
    seconds: float


def seed_with_use_cases(app: JointCaseApp, rng: random.Random, leads_per_county: int) -> Seed:
    """Leads, referrals, acceptances, feedback, cases, seizures, co-handlers, assistance, merges and
    closures recorded by the use cases one command at a time, as the API records them."""
    n = 0
    started = time.perf_counter()

    def ctx(county: str) -> Context:
        nonlocal n
        n += 1
        return Context(officer(county, rng), datetime.now(UTC), f"seed-{n}")

    leads: list[tuple[UUID, str]] = []  # lead, responsible county
    for county in COUNTIES:
        for _ in range(leads_per_county):
            written = app.register_lead(
                ctx(county),
                summary=f"{rng.choice(PLACES)}发现疑似{rng.choice(BRANDS)}假烟",
                source=rng.choice(SOURCES),
                place_county=county,
                informant=f"举报人{rng.randrange(10**6):06d}" if rng.random() < 0.25 else None,
            )
            responsible = county
            if rng.random() < 0.5:
                to = other_county(county, rng)
                app.refer_lead(written.id, to, "线索涉及对方辖区", ctx(county))
                roll = rng.random()
                if roll < 0.7:
                    app.accept_referral(written.id, ctx(to))
                    app.give_feedback(written.id, "正在核查", False, ctx(to))
                    responsible = to
                elif roll < 0.85:
                    app.decline_referral(written.id, "不属本辖区", ctx(to))
            leads.append((written.id, responsible))
    cases: dict[UUID, str] = {}
    for lead_id, county in leads:
        if rng.random() < 0.4:
            opened = app.open_case(
                ctx(county),
                case_type=rng.choice(CASE_TYPES),
                title=f"{rng.choice(PLACES)}{rng.choice(BRANDS)}案",
                lead_ids=[lead_id],
            )
            cases[opened.id] = county
    for county in COUNTIES:
        for _ in range(max(1, leads_per_county // 5)):
            opened = app.open_case(ctx(county), case_type="unlicensed", title="现场检查立案")
            cases[opened.id] = county
    for case_id, county in list(cases.items()):
        for _ in range(rng.randrange(2, 8)):
            c = ctx(county)
            app.record_seizure(
                case_id,
                c,
                brand=rng.choice(BRANDS),
                sticks=200 * rng.choice((1, 5, 10, 50)),
                value=str(rng.choice((450, 2250, 4500, 22500))),
                price_basis="provincial",
                seized_at=c.at,
                place=rng.choice(PLACES),
            )
        if rng.random() < 0.3:
            co = other_county(county, rng)
            app.invite_co_handler(case_id, co, "请协助办理", ctx(county))
            if rng.random() < 0.8:
                app.accept_co_handling(case_id, ctx(co))
        if rng.random() < 0.25:
            to = other_county(county, rng)
            asked = app.request_assistance(case_id, to, "协查物流信息", ctx(county))
            if rng.random() < 0.5:
                app.answer_assistance(case_id, asked.details["request_id"], "已协查", ctx(to))
    ids = list(cases)
    rng.shuffle(ids)
    for k in range(0, max(2, len(ids) // 25) * 2, 2):  # about 4% merged
        absorbed, survivor = ids[k], ids[k + 1]
        if cases[absorbed] != cases[survivor]:
            app.merge_cases(absorbed, survivor, "同一批货源", ctx(cases[absorbed]))
        app.merge_cases(absorbed, survivor, "同一批货源", ctx(cases[survivor]))
        del cases[absorbed]
    for case_id in [i for i in ids if i in cases][: len(cases) // 5]:
        app.close_case(case_id, rng.choice(OUTCOMES), "调查终结", ctx(cases.pop(case_id)))
    return Seed(cases, app.recorder.max_notification_id() or 0, n, time.perf_counter() - started)


# --- raw read and rebuild -------------------------------------------------------------------------
def raw_read(app: JointCaseApp, page: int = 1000) -> dict[str, Any]:
    """Reads the whole log in pages by last id and decodes every event: the ceiling."""
    gc.collect()
    started = time.perf_counter()
    last = 0
    count = 0
    while True:
        notifications = app.recorder.select_notifications(
            last, limit=page, inclusive_of_start=False
        )
        if not notifications:
            break
        for n in notifications:
            app.mapper.to_domain_event(n)
        count += len(notifications)
        last = notifications[-1].id
    seconds = time.perf_counter() - started
    return {"events": count, "seconds": seconds, "events_per_s": count / seconds}


@dataclass
class Instrumented:
    """Wall time spent per part of a rebuild: reading pages, decoding, and each view's
    transaction (its statements, the tracking row and the commit)."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)

    def add(self, part: str, seconds: float, events: int = 0) -> None:
        self.seconds[part] = self.seconds.get(part, 0.0) + seconds
        self.calls[part] = self.calls.get(part, 0) + 1
        self.events[part] = self.events.get(part, 0) + events


@contextmanager
def instrument(app: JointCaseApp, views: Sequence[View]) -> Iterator[Instrumented]:
    """Times the runner's calls by wrapping them on the instances (nothing in projections/ is
    changed; the wrappers are removed afterwards)."""
    timings = Instrumented()
    clock = time.perf_counter
    read = app.recorder.select_notifications
    decode = app.mapper.to_domain_event

    def timed_read(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        result = read(*args, **kwargs)
        timings.add("read (select_notifications)", clock() - started, len(result))
        return result

    def timed_decode(notification: Any) -> Any:
        started = clock()
        result = decode(notification)
        timings.seconds["decode (to_domain_event)"] = (
            timings.seconds.get("decode (to_domain_event)", 0.0) + clock() - started
        )
        return result

    def timed_process(view: View) -> Callable[..., None]:
        process = view.process

        def wrapper(batch: Any, after: int) -> None:
            started = clock()
            process(batch, after)
            timings.add(f"view {view.name}", clock() - started, len(batch))

        return wrapper

    app.recorder.select_notifications = timed_read  # type: ignore[method-assign]
    app.mapper.to_domain_event = timed_decode  # type: ignore[method-assign]
    for view in views:
        view.process = timed_process(view)  # type: ignore[method-assign]
    try:
        yield timings
    finally:
        del app.recorder.select_notifications
        del app.mapper.to_domain_event
        for view in views:
            del view.process


def backend_cpu(conninfo: str) -> float | None:
    """CPU seconds used so far by the server processes serving this database (read from /proc:
    only when the server runs on this machine and its processes are readable)."""
    with psycopg.connect(conninfo) as conn:
        pids = [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).fetchall()
        ]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    except (OSError, IndexError, ValueError):
        return None
    return total


def reset_views(views: Views) -> None:
    for view in views.all():
        view.reset()


class OneAfterAnother:
    """Stands in for the runner's thread pool so that a page is applied to the views one after
    another in the runner's thread (the runner before commit f7ee8df), for comparison."""

    def map(self, fn: Callable[..., Any], *iterables: Any) -> Iterator[Any]:
        return map(fn, *iterables)

    def shutdown(self, wait: bool = True) -> None:
        pass


def rebuild(
    app: JointCaseApp,
    views: Views,
    page_size: int,
    head: int,
    conninfo: str | None = None,
    serial: bool = False,
) -> dict[str, Any]:
    """Empties every view and applies the whole log again with the batch runner; with
    `conninfo`, also the CPU time of this process and of the server's processes. `serial`
    applies each page to the views one after another instead of in parallel threads."""
    reset_views(views)
    runner = BatchRunner(app, views.all(), page_size=page_size)
    if serial:
        pool = getattr(runner, "_pool", None)
        if pool is None:
            raise RuntimeError("this BatchRunner has no thread pool: it is serial already")
        pool.shutdown()
        runner._pool = OneAfterAnother()  # type: ignore[assignment]
    for view in views.all():  # every pooled connection open before the server CPU is read
        view.position()
    server_before = backend_cpu(conninfo) if conninfo else None
    python_before = time.process_time()
    progress: list[tuple[float, int, dict[str, float]]] = []
    done = 0
    gc.collect()
    with instrument(app, views.all()) as timings:
        started = time.perf_counter()

        def note(k: int) -> None:
            nonlocal done
            done += k
            progress.append((time.perf_counter() - started, done, dict(timings.seconds)))

        try:
            applied = runner.catch_up(progress=note)
        finally:
            runner.stop()
        seconds = time.perf_counter() - started
    python_cpu = time.process_time() - python_before
    server_after = backend_cpu(conninfo) if conninfo else None
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    positions = {view.name: view.position() for view in views.all()}
    if any(p != head for p in positions.values()):
        raise RuntimeError(f"rebuild stopped short of {head}: {positions}")
    # Throughput per tenth of the log, and the time of each part per tenth: what slows down as
    # the tables grow?
    tenths = []
    parts_by_tenth: dict[str, list[float]] = {}
    last_t, last_n, last_parts = 0.0, 0, {}
    for t, n, parts in progress:
        if n - last_n >= applied / 10 or n == applied:
            tenths.append(round((n - last_n) / (t - last_t)))
            for part, total in parts.items():
                parts_by_tenth.setdefault(part, []).append(
                    round(total - last_parts.get(part, 0.0), 2)
                )
            last_t, last_n, last_parts = t, n, parts
    return {
        "page_size": page_size,
        "views_applied": "one after another" if serial else "in parallel threads",
        "events": applied,
        "seconds": seconds,
        "events_per_s": applied / seconds,
        "events_per_s_by_tenth": tenths,
        "parts_s_by_tenth": parts_by_tenth,
        "parts_s": {k: round(v, 2) for k, v in timings.seconds.items()},
        "cpu_s": {"python": round(python_cpu, 1), "postgres": server_cpu and round(server_cpu, 1)},
        "view_transactions": {k: v for k, v in timings.calls.items() if k.startswith("view")},
    }


def table_sizes(conninfo: str) -> dict[str, Any]:
    tables = (
        "jointcase_events",
        "case_search",
        "workspace_items",
        "workspace_leads",
        "workspace_cases",
        "audit_events",
        "contributions",
        "contribution_links",
    )
    sizes = {}
    with psycopg.connect(conninfo) as conn:
        for table in tables:
            row = conn.execute(
                f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}"
            ).fetchone()
            assert row is not None
            sizes[table] = {"rows": row[0], "size": row[1]}
    return sizes


def event_mix(conninfo: str) -> dict[str, int]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT topic, count(*) FROM jointcase_events GROUP BY topic ORDER BY 2 DESC"
        ).fetchall()
    return {topic.split(":", 1)[-1]: n for topic, n in rows}


# --- profile --------------------------------------------------------------------------------------
def top_functions(profiler: cProfile.Profile, n: int) -> tuple[float, list[dict[str, Any]]]:
    """Total own time recorded by a profiler, and its `n` functions of most own time."""
    stats = pstats.Stats(profiler)
    entries = stats.stats.items()  # type: ignore[attr-defined]
    total = sum(v[2] for _, v in entries)
    top = sorted(entries, key=lambda kv: kv[1][2], reverse=True)[:n]
    return total, [
        {
            "function": f"{Path(file).parent.name}/{Path(file).name}:{line}({func})"
            if file != "~"
            else func,
            "calls": ncalls,
            "own_s": round(tottime, 3),
            "cum_s": round(cumtime, 3),
        }
        for (file, line, func), (_, ncalls, tottime, cumtime, _) in top
    ]


def profile_rebuild(
    app: JointCaseApp, views: Views, conninfo: str, events: int, page_size: int, name: str
) -> dict[str, Any]:
    """cProfile of a rebuild of the log's first `events` events: one profiler for the runner's
    thread (reading, decoding, waiting for the views) and one per view (each view's `process`,
    in whatever thread the runner applies it)."""
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT notification_id FROM jointcase_events ORDER BY notification_id "
            "OFFSET %s LIMIT 1",
            (events - 1,),
        ).fetchone()
    until = row[0] if row else None
    reset_views(views)
    runner = BatchRunner(app, views.all(), page_size=page_size)
    profilers = {view.name: cProfile.Profile() for view in views.all()}

    def profiled(view: View) -> Callable[..., None]:
        process = view.process

        def wrapper(batch: Any, after: int) -> None:
            profilers[view.name].runcall(process, batch, after)

        return wrapper

    for view in views.all():
        view.process = profiled(view)  # type: ignore[method-assign]
    main = cProfile.Profile()
    try:
        started = time.perf_counter()
        applied = main.runcall(runner.catch_up, until=until)
        seconds = time.perf_counter() - started
    finally:
        for view in views.all():
            del view.process
        runner.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"events": applied, "page_size": page_size, "seconds": seconds}
    for label, profiler in [("runner thread", main), *profilers.items()]:
        path = RESULTS / f"{name}-rebuild-{label.replace(' ', '-')}.prof"
        profiler.dump_stats(path)
        total, top = top_functions(profiler, 12)
        report[label] = {"own_s_total": round(total, 2), "top": top, "file": path.name}
    return report


def print_profile(report: dict[str, Any]) -> None:
    print(
        f"\nprofile of a rebuild of {report['events']:,} events (page_size="
        f"{report['page_size']:,}): {report['seconds']:.1f} s under the profiler"
    )
    for label, part in report.items():
        if not isinstance(part, dict):
            continue
        print(f"  {label}: {part['own_s_total']:.2f} s profiled ({part['file']})")
        for f in part["top"][:8]:
            print(
                f"    {f['own_s']:>7.3f} own {f['cum_s']:>7.3f} cum {f['calls']:>9,}  {f['function']}"
            )


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


# --- lag under a steady write load ----------------------------------------------------------------
@dataclass
class Writes:
    done: list[tuple[float, int]]  # (perf_counter when record_seizure returned, log position)
    errors: int
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.done) / self.seconds


def write_load(
    app: JointCaseApp, cases: dict[UUID, str], writers: int, seconds: float, rate: float | None
) -> Writes:
    """`writers` threads record seizures on cases of their own (no conflicts) for `seconds`;
    with `rate`, each thread keeps to an even schedule of rate / writers writes per second."""
    ids = list(cases)
    shares = [ids[i::writers] for i in range(writers)]
    done: list[list[tuple[float, int]]] = [[] for _ in range(writers)]
    errors = [0] * writers
    barrier = threading.Barrier(writers + 1)
    deadline = [0.0]

    def writer(i: int) -> None:
        rng = random.Random(i)
        interval = writers / rate if rate else 0.0
        barrier.wait()
        next_at = time.perf_counter() + rng.uniform(0, interval)
        k = 0
        while True:
            now = time.perf_counter()
            if now >= deadline[0]:
                return
            if interval and now < next_at:
                time.sleep(next_at - now)
            next_at += interval
            case_id = shares[i][k % len(shares[i])]
            k += 1
            county = cases[case_id]
            ctx = Context(officer(county, rng), datetime.now(UTC), f"lag-{i}-{k}")
            try:
                written = app.record_seizure(
                    case_id,
                    ctx,
                    brand=rng.choice(BRANDS),
                    sticks=200,
                    value="450.00",
                    price_basis="provincial",
                    seized_at=ctx.at,
                    place="bench",
                )
            except DomainError:
                errors[i] += 1
                continue
            done[i].append((time.perf_counter(), written.position))

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for t in threads:
        t.join()
    return Writes(
        sorted((x for d in done for x in d), key=lambda w: w[1]),
        sum(errors),
        time.perf_counter() - started,
    )


class Sampler:
    """Polls the lowest position of all views every `interval` seconds on its own connection
    (one statement for the four tracking tables)."""

    def __init__(self, conninfo: str, views: Sequence[View], interval: float = 0.005) -> None:
        parts = [
            f"(SELECT coalesce(max(notification_id), 0) FROM {v.tracking_table_name}"
            f" WHERE application_name = '{JointCaseApp.name}')"
            for v in views
        ]
        self.sql = f"SELECT least({', '.join(parts)})"
        self.conninfo = conninfo
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (perf_counter after the query, position)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self.stopping.is_set():
                row = conn.execute(self.sql).fetchone()
                self.samples.append((time.perf_counter(), int(row[0]) if row else 0))
                time.sleep(self.interval)

    def position(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()


def lags_ms(writes: Writes, samples: list[tuple[float, int]]) -> list[float]:
    """For each write, the time from its return (just after its commit) to the first sample in
    which every view had reached its position."""
    positions = [p for _, p in samples]
    lags = []
    for returned, position in writes.done:
        k = bisect_left(positions, position)
        if k == len(samples):
            raise RuntimeError(f"the views never reached position {position}")
        lags.append(max(0.0, samples[k][0] - returned) * 1000)
    return lags


@contextmanager
def projection_runner(
    mode: str, settings: Settings, views: Views, page_size: int
) -> Iterator[Callable[[], dict[str, Any]]]:
    """The views kept up to date either by a BatchRunner thread in this process (as the
    embedded `jointcase serve` runs it) or by `jointcase worker` in its own process (as a
    deployment with a server runs it). Yields a function giving what is known about its work."""
    if mode == "thread":
        app = build_app(settings)
        runner = BatchRunner(app, views.all(), page_size=page_size)
        with instrument(app, views.all()) as timings:
            runner.start()
            try:
                yield lambda: {
                    "view_transactions": {k: v for k, v in timings.calls.items() if "view" in k},
                    "mean_batch": {
                        k: round(timings.events[k] / timings.calls[k], 1)
                        for k in timings.calls
                        if "view" in k
                    },
                }
            finally:
                runner.stop()
                if runner.error is not None:
                    raise RuntimeError("the projection runner failed") from runner.error
                app.close()
        return
    from tests.pg import settings_env

    env = settings_env(settings)
    env["JOINTCASE_WORKER_PAGE_SIZE"] = str(page_size)
    with tempfile.TemporaryFile("w+") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "jointcase", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield lambda: {"worker_pid": worker.pid}
        finally:
            worker.terminate()  # SIGTERM: the worker stops after its current batch
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            if worker.returncode not in (0, -15):
                log.seek(0)
                raise RuntimeError(
                    f"jointcase worker exited {worker.returncode}: {log.read()[-2000:]}"
                )


def run_lag(
    app: JointCaseApp,
    settings: Settings,
    views: Views,
    conninfo: str,
    cases: dict[UUID, str],
    writers: int,
    peak_seconds: float,
    lag_seconds: float,
    modes: Sequence[str],
    page_size: int,
) -> dict[str, Any]:
    print(f"peak write rate: {writers} writer threads, {peak_seconds:.0f} s, no runner...")
    peak = write_load(app, cases, writers, peak_seconds, None)
    print(f"  {peak.rate:,.0f} writes/s ({peak.errors} refused)")
    target = peak.rate / 2
    result: dict[str, Any] = {
        "writers": writers,
        "peak_writes_per_s": peak.rate,
        "peak_seconds": peak.seconds,
        "target_writes_per_s": target,
        "runs": {},
    }
    for mode in modes:
        level = BatchRunner(app, views.all(), page_size=5000)
        level.catch_up()  # start level
        level.stop()
        with (
            Sampler(conninfo, views.all()) as sampler,
            projection_runner(mode, settings, views, page_size) as info,
        ):
            time.sleep(2.0)  # the runner is listening
            load_before = load_average()
            print(f"lag, runner as {mode}: {target:,.0f} writes/s for {lag_seconds:.0f} s...")
            writes = write_load(app, cases, writers, lag_seconds, target)
            last = writes.done[-1][1] if writes.done else 0
            deadline = time.monotonic() + 60
            while sampler.position() < last and time.monotonic() < deadline:
                time.sleep(0.05)
            details = info()
        lags = lags_ms(writes, sampler.samples)
        gaps = [b[0] - a[0] for a, b in zip(sampler.samples, sampler.samples[1:], strict=False)]
        run = {
            "writes": len(writes.done),
            "refused": writes.errors,
            "writes_per_s": writes.rate,
            "lag_p50_ms": percentile(lags, 50),
            "lag_p90_ms": percentile(lags, 90),
            "lag_p99_ms": percentile(lags, 99),
            "lag_max_ms": max(lags) if lags else float("nan"),
            "sample_interval_median_ms": median(gaps) * 1000,
            "load_average": load_before,
            **details,
        }
        result["runs"][mode] = run
        print(
            f"  {run['writes_per_s']:,.0f} writes/s; lag p50 {run['lag_p50_ms']:.0f} ms, "
            f"p99 {run['lag_p99_ms']:.0f} ms, max {run['lag_max_ms']:.0f} ms"
        )
    return result


# --- report ---------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_report(result: dict[str, Any]) -> None:
    meta = result["meta"]
    print(
        f"\nread models at scale, {meta['date']}, {meta['machine']['cpus']} cores, "
        f"{meta['server']}; {meta['events']:,} events in the log; load average at start "
        f"{meta['load_average_start']}, at end {meta['load_average_end']}"
    )
    print(f"\n{'rebuild of all views':<48}{'events/s':>10}{'of raw':>9}{'seconds':>9}")
    for raw in result["raw_reads"]:
        print(
            f"{'raw read + decode (pages of 1,000)':<48}{raw['events_per_s']:>10,.0f}"
            f"{'':>9}{raw['seconds']:>9.1f}"
        )
    for r in result["rebuilds"]:
        label = f"BatchRunner.catch_up, page_size={r['page_size']:,}"
        if r.get("views_applied") == "one after another":
            label += ", serial"
        busy = r.get("others_running_after")
        print(
            f"{label:<48}{r['events_per_s']:>10,.0f}{r['ratio_to_raw']:>9.0%}{r['seconds']:>9.1f}"
            + (f"  (also running after it: {busy[0]})" if busy else "")
        )
    best = result["best_rebuild"]
    print(
        f"best: page_size={best['page_size']:,}, {best['ratio_to_raw']:.0%} of the raw rate "
        f"(target {TARGET_REBUILD_RATIO:.0%}: {verdict(best['ratio_to_raw'] >= TARGET_REBUILD_RATIO)})"
    )
    print(f"time per part (best rebuild; the views' parts overlap), s: {best['parts_s']}")
    print(
        f"CPU during it: this process {best['cpu_s']['python']} s, PostgreSQL's processes "
        f"{best['cpu_s']['postgres']} s, of {best['seconds']:.1f} s"
    )
    print(f"events/s per tenth of the log: {best['events_per_s_by_tenth']}")
    for part, seconds in best["parts_s_by_tenth"].items():
        print(f"  {part:<30} s per tenth: {seconds}")
    for title, key in (("view queries", "queries"), ("same, through HTTP", "http")):
        if not result.get(key):
            continue
        print(f"\n{title + ', ms':<52}{'p50':>8}{'p99':>8}{'max':>8}{'rows':>7}")
        for label, q in result[key].items():
            print(
                f"{label:<52}{q['p50_ms']:>8.2f}{q['p99_ms']:>8.2f}{q['max_ms']:>8.1f}"
                f"{q['mean_rows']:>7.0f}  {verdict(q['p99_ms'] < TARGET_QUERY_P99_MS)}"
            )
    lag = result.get("lag")
    if lag:
        print(
            f"\nlag: peak {lag['peak_writes_per_s']:,.0f} writes/s with {lag['writers']} writer "
            f"threads; load at half of it"
        )
        print(f"{'runner':<10}{'writes/s':>10}{'p50 ms':>8}{'p90':>8}{'p99':>8}{'max':>8}")
        for mode, run in lag["runs"].items():
            print(
                f"{mode:<10}{run['writes_per_s']:>10,.0f}{run['lag_p50_ms']:>8.0f}"
                f"{run['lag_p90_ms']:>8.0f}{run['lag_p99_ms']:>8.0f}{run['lag_max_ms']:>8.0f}"
                f"  {verdict(run['lag_p99_ms'] < TARGET_LAG_P99_MS)}"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the log")
    parser.add_argument("--seed-leads", type=int, default=50, help="leads per county, use cases")
    parser.add_argument(
        "--insert-batch",
        type=int,
        default=5000,
        help="events per insert_events transaction (above about 10,000 events, some 6 MB, the "
        "library's pipelined insert can hang with psycopg 3.3.9: see bench/README.md)",
    )
    parser.add_argument("--page-sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument(
        "--serial-too",
        action="store_true",
        help="after the page sizes, rebuild at the best one with the views applied one after "
        "another (not in the runner's parallel threads), then in parallel once more",
    )
    parser.add_argument("--profile-events", type=int, default=100_000, help="0: no profile")
    parser.add_argument("--query-calls", type=int, default=300)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP query timings")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--peak-seconds", type=float, default=10)
    parser.add_argument("--lag-seconds", type=float, default=30)
    parser.add_argument(
        "--runner",
        nargs="+",
        choices=("thread", "process"),
        default=["thread", "process"],
        help="where the views are kept up to date during the lag test",
    )
    parser.add_argument(
        "--wait-minutes",
        type=float,
        default=20,
        help="first wait (at most this long) until no process matching --wait-for runs",
    )
    parser.add_argument(
        "--wait-for",
        default=OTHER_BENCHES,
        help="command lines (pgrep -f pattern) of what would distort the figures "
        "(default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=20261124, help="random seed of the history")
    parser.add_argument("--name", default="rebuild")
    args = parser.parse_args(argv)

    waited = wait_for_other_benches(args.wait_minutes, args.wait_for) if args.wait_minutes else {}
    rng = random.Random(args.seed)
    result: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "args": vars(args),
            "waited_for_other_benches": waited,
            "busiest_processes_at_start": other_processes(),
            "load_average_start": load_average(),
        }
    }
    with bench_database("rebuild") as settings:
        init_app, _ = init_database(settings)
        init_app.close()
        db = resolve_database(settings)
        conninfo = db.conninfo()
        app = build_app(settings)
        views = build_views(library_env(settings, db))
        try:
            with psycopg.connect(conninfo) as conn:
                row = conn.execute("SHOW server_version").fetchone()
            result["meta"]["server"] = f"PostgreSQL {row[0] if row else '?'}"
            print(f"{result['meta']['server']}, database {db.dbname}")

            print(f"seed set through the use cases ({args.seed_leads} leads per county)...")
            seed = seed_with_use_cases(app, rng, args.seed_leads)
            print(
                f"  {seed.commands:,} commands, {seed.events:,} events in {seed.seconds:.1f} s; "
                f"{len(seed.cases)} open cases"
            )
            print(f"bulk history up to {args.events:,} events...")
            started = time.perf_counter()
            bulk = HistoryWriter(app, rng).write(
                max(0, args.events - seed.events), args.insert_batch, print
            )
            bulk_seconds = time.perf_counter() - started
            head = app.recorder.max_notification_id() or 0
            result["history"] = {
                "seed_commands": seed.commands,
                "seed_events": seed.events,
                "seed_seconds": seed.seconds,
                "bulk_events": bulk,
                "bulk_seconds": bulk_seconds,
                "events": seed.events + bulk,
                "head_position": head,
                "mix": event_mix(conninfo),
            }
            result["meta"]["events"] = seed.events + bulk
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE jointcase_events")

            if args.profile_events:
                n = min(args.profile_events, seed.events + bulk)
                print(f"profile of a rebuild of {n:,} events (page_size=5,000)...")
                result["profile"] = profile_rebuild(app, views, conninfo, n, 5000, args.name)
                print_profile(result["profile"])

            result["raw_reads"] = []
            result["rebuilds"] = []
            plan = [(page_size, False) for page_size in args.page_sizes]
            if args.serial_too:  # at the best page size, known by then: serial, then parallel
                plan += [(0, True), (0, False)]  # again, so that both meet the same load
            for planned, serial in plan:
                print("raw read of the log...")
                raw = raw_read(app)
                result["raw_reads"].append(raw)
                print(f"  {raw['events']:,} events, {raw['events_per_s']:,.0f}/s")
                page_size = (
                    planned or max(result["rebuilds"], key=lambda x: x["events_per_s"])["page_size"]
                )
                how = "one view after another" if serial else "views in parallel"
                print(f"rebuild of all views, page_size={page_size:,}, {how}...")
                r = rebuild(app, views, page_size, head, conninfo, serial=serial)
                r["load_average_after"] = load_average()
                r["others_running_after"] = others_running(args.wait_for)
                result["rebuilds"].append(r)
                print(
                    f"  {r['events_per_s']:,.0f} events/s, {r['seconds']:.1f} s; {r['parts_s']};"
                    f" CPU {r['cpu_s']}"
                )
            raw_rate = max(x["events_per_s"] for x in result["raw_reads"])
            for r in result["rebuilds"]:
                r["ratio_to_raw"] = r["events_per_s"] / raw_rate
            result["raw_events_per_s"] = raw_rate
            result["best_rebuild"] = max(
                (r for r in result["rebuilds"] if r["views_applied"] != "one after another"),
                key=lambda x: x["events_per_s"],
            )
            result["tables_after_rebuild"] = table_sizes(conninfo)

            print(f"queries right after the rebuild ({args.query_calls} calls each)...")
            result["queries_before_vacuum"] = run_queries(
                views, conninfo, args.query_calls, args.seed
            )
            with psycopg.connect(conninfo, autocommit=True) as conn:
                for table in (
                    "case_search",
                    "workspace_items",
                    "workspace_leads",
                    "workspace_cases",
                    "audit_events",
                    "contributions",
                    "contribution_links",
                ):
                    conn.execute(f"VACUUM ANALYZE {table}")
            print("queries after VACUUM ANALYZE of the view tables...")
            result["queries"] = run_queries(views, conninfo, args.query_calls, args.seed + 1)
            result["others_running_after_queries"] = others_running(args.wait_for)
            if not args.no_http:
                print("the same through HTTP...")
                result["http"] = run_http_queries(
                    settings, conninfo, args.query_calls, args.seed + 2
                )

            if args.lag_seconds:
                result["lag"] = run_lag(
                    app,
                    settings,
                    views,
                    conninfo,
                    seed.cases,
                    args.writers,
                    args.peak_seconds,
                    args.lag_seconds,
                    args.runner,
                    1000,
                )
                result["lag"]["others_running_after"] = others_running(args.wait_for)
        finally:
            views.close()
            app.close()
    result["meta"]["load_average_end"] = load_average()
    result["meta"]["busiest_processes_at_end"] = other_processes()
    print_report(result)
    path = save(args.name, result)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
