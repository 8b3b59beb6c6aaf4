"""A generated log for bulletins: the rebuild bench's bulk history (two years of leads, referrals
and their answers, cases, co-handling, merges, police, seizures), a few cases opened through the
use cases now, joint operations (with those cases attached) price inspections and a late-answered referral in each quarter
of the history, and the audit trail brought up to date."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from bench.rebuild.history import HistoryWriter
from bench.rebuild.world import BULK_FROM, BULK_TO, COUNTIES, officer, other_county
from domain.values import Context
from projections.audit import AuditView
from projections.base import BatchRunner
from service.app import JointCaseApp


def generate(
    app: JointCaseApp,
    audit: AuditView,
    rng: random.Random,
    events: int,
    *,
    cases_per_county: int = 2,
    batch: int = 5000,
    log: Any = lambda _: None,
) -> int:
    """Records about ``events`` events and applies them to the audit trail; returns the head."""
    n = 0

    def ctx(county: str, at: datetime) -> Context:
        nonlocal n
        n += 1
        return Context(officer(county, rng), at, f"bulletins-{n}")

    cases = []  # open cases of each county, through the use cases (recorded now)
    for county in COUNTIES:
        for _ in range(cases_per_county):
            case = app.open_case(ctx(county, datetime.now(UTC)), case_type="smuggled", title="专案")
            cases.append((case.id, county))
    HistoryWriter(app, rng).write(max(0, events - len(cases)), batch, log)
    day = BULK_FROM
    while day < BULK_TO:
        county = rng.choice(COUNTIES)
        starts = day.date() + timedelta(days=rng.randrange(80))
        written = app.plan_operation(
            ctx(county, day),
            name=f"联合行动 {starts}",
            participants=sorted({county, other_county(county, rng)}),
            starts_on=starts,
            ends_on=starts + timedelta(days=rng.randrange(5, 40)),
            target_area="物流园区",
            plan="统一清查",
        )
        for _ in range(rng.randrange(3)):  # cases opened during the operation, attached to it
            opened = datetime.combine(starts, time(10), UTC) + timedelta(days=rng.randrange(5))
            case = app.open_case(
                ctx(county, opened), case_type="smuggled", title="行动专案", opened_at=opened
            )
            app.attach_case_to_operation(written.id, case.id, ctx(county, opened))
        # a referral answered late, with its feedback late too
        to = other_county(county, rng)
        lead = app.register_lead(
            ctx(county, day), summary="跨区线索", source="tip_off", place_county=to
        )
        app.refer_lead(lead.id, to, "线索涉及对方辖区", ctx(county, day))
        app.accept_referral(lead.id, ctx(to, day + timedelta(days=5)))
        app.give_feedback(lead.id, "已查处", True, ctx(to, day + timedelta(days=30)))
        for _ in range(3):
            inspecting = rng.choice(COUNTIES)
            app.record_price_inspection(
                ctx(inspecting, day + timedelta(days=rng.randrange(85))),
                inspected_county=other_county(inspecting, rng),
                area="城区",
                group_name="第一组",
                brand="中华(硬)",
                agreed_price=Decimal("45.00"),
                observed_price=Decimal(45 + rng.randrange(-5, 6)),
                inspected_at=day + timedelta(days=rng.randrange(85)),
            )
        day += timedelta(days=91)
    BatchRunner(app, [audit], page_size=batch).catch_up()
    return int(app.recorder.max_notification_id() or 0)


def quarters_of_the_history() -> list[tuple[int, int]]:
    """The quarters the bulk history spans (year, quarter)."""
    found = []
    day: date = BULK_FROM.date()
    while day <= BULK_TO.date():
        found.append((day.year, (day.month - 1) // 3 + 1))
        day = date(day.year + (day.month >= 10), (day.month + 2) % 12 + 1, 1)
    return sorted(set(found))
