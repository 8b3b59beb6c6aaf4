"""The seed set, recorded through the use cases: the log also holds what the application writes."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from bench.rebuild.world import (
    BRANDS,
    CASE_TYPES,
    COUNTIES,
    OUTCOMES,
    PLACES,
    SOURCES,
    officer,
    other_county,
)
from domain.values import Context
from service.app import JointCaseApp


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
            # A county proposes a merge only into a case it may see: asked to assist on it.
            app.request_assistance(survivor, cases[absorbed], "同一批货源?", ctx(cases[survivor]))
            app.merge_cases(absorbed, survivor, "同一批货源", ctx(cases[absorbed]))
        app.merge_cases(absorbed, survivor, "同一批货源", ctx(cases[survivor]))
        del cases[absorbed]
    for case_id in [i for i in ids if i in cases][: len(cases) // 5]:
        app.close_case(case_id, rng.choice(OUTCOMES), "调查终结", ctx(cases.pop(case_id)))
    return Seed(cases, app.recorder.max_notification_id() or 0, n, time.perf_counter() - started)
