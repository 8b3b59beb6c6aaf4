"""The bulk history: leads, cases and their stories written straight to the event log in batches,
with a clock running over the two years before this one."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.rebuild.world import (
    BRANDS,
    BULK_FROM,
    BULK_TO,
    BULK_YEARS_BEFORE,
    CASE_TYPES,
    COUNTIES,
    OUTCOMES,
    PLACES,
    SOURCES,
    officer,
    other_county,
)
from domain.case import Case
from domain.errors import DomainError
from domain.jurisdiction import CaseNumberSequence
from domain.lead import Lead
from domain.merging import merge, unmerge
from domain.policy import PoliceThresholds, police_advice
from domain.values import Context
from service.app import JointCaseApp


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
