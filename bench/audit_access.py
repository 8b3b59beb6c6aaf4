"""The cost of storing who reads each event in the audit trail: the audit view rebuilt over the
same log with its per-event access (grants, merge links and the readers of each event) against
the same view copying the events only (what it did before), interleaved in the same run.

    .venv/bin/python -m bench.audit_access                 # defaults: --cases 150 --rounds 3

The log is made through the use cases: leads referred (some declined, some re-referred), cases
with seizures, co-handlers invited (some declining), assistance requested, cases merged into
others and some released again (so merge links and releases are in it)."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.persistence import Tracking

import projections.audit as audit_module
from bench.common import bench_database, median, save
from domain.values import Actor, Context, Role
from jointcase.storage import init_database, library_env, resolve_database
from projections.audit import AuditView
from projections.base import Item
from projections.registry import build_views

COUNTIES = ("150924", "140221", "140222", "130725", "130728", "130708")


def ctx(county: str) -> Context:
    return Context(Actor(f"bench-{county}", county, Role.OFFICER), datetime.now(UTC), "bench")


def seed(app: Any, cases: int, seizures: int) -> None:
    """A history with every kind of access change, about ``cases`` cases."""
    made = []
    for n in range(cases):
        county, other = COUNTIES[n % 6], COUNTIES[(n + 1) % 6]
        lead = app.register_lead(ctx(county), summary="b", source="tip_off", place_county=other).id
        app.refer_lead(lead, other, "there", ctx(county))
        if n % 3 == 0:
            app.decline_referral(lead, "not ours", ctx(other))
            app.refer_lead(lead, other, "again", ctx(county))
        case = app.open_case(ctx(county), case_type="counterfeit", title="b").id
        app.invite_co_handler(case, other, "help", ctx(county))
        if n % 4 == 0:
            app.decline_co_handling(case, "no staff", ctx(other))
        app.request_assistance(case, COUNTIES[(n + 2) % 6], "check", ctx(county))
        for _ in range(seizures):
            app.record_seizure(
                case,
                ctx(county),
                brand="b",
                sticks=200,
                value="100",
                price_basis="provincial",
                seized_at=datetime.now(UTC) - timedelta(hours=1),
            )
        made.append((case, county))
    # merges within a county: every twelfth case into the one six before it (which is never
    # absorbed itself), every other one released again
    for k in range(12, len(made), 12):
        (absorbed, county), (survivor, _) = made[k], made[k - 6]
        app.merge_cases(absorbed, survivor, "same", ctx(county))
        if k % 24 == 0:
            app.unmerge_case(absorbed, "wrong", ctx(county))


def rebuild(view: AuditView, items: list[Item], page: int) -> float:
    view.reset()
    started = time.perf_counter()
    after = 0
    for i in range(0, len(items), page):
        batch = items[i : i + page]
        view.process(batch, after)
        after = batch[-1].tracking.notification_id
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument("--seizures", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    with bench_database("audit_access") as settings:
        app, _ = init_database(settings)
        views = build_views(library_env(settings, resolve_database(settings)))
        try:
            seed(app, args.cases, args.seizures)
            items = [
                Item(app.mapper.to_domain_event(n), Tracking(app.name, n.id), n)
                for n in app.recorder.select_notifications(start=1, limit=10**7)
            ]
            recompute, access = audit_module._RECOMPUTE, AuditView.__dict__["_access"]
            timings: dict[str, list[float]] = {"with access": [], "copy only": []}
            for r in range(args.rounds):
                order = ["with access", "copy only"] if r % 2 == 0 else ["copy only", "with access"]
                for mode in order:
                    if mode == "copy only":
                        audit_module._RECOMPUTE = "SELECT 1"
                        AuditView._access = staticmethod(lambda *a: [])  # type: ignore[method-assign]
                    try:
                        timings[mode].append(rebuild(views.audit, items, args.page))
                    finally:
                        audit_module._RECOMPUTE = recompute
                        AuditView._access = access  # type: ignore[method-assign]
            rebuild(views.audit, items, args.page)  # leave the view as it is built
            per_s = {k: len(items) / median(v) for k, v in timings.items()}
            ratios = [
                w / c for w, c in zip(timings["with access"], timings["copy only"], strict=True)
            ]
            result = {
                "events": len(items),
                "page": args.page,
                "seconds": timings,
                "events_per_s_median": {k: round(v) for k, v in per_s.items()},
                "time_ratio_with_over_copy_only": {
                    "median": round(median(ratios), 2),
                    "range": [round(min(ratios), 2), round(max(ratios), 2)],
                },
            }
            print(result)
            save("audit_access", result)
        finally:
            views.close()
            app.close()


if __name__ == "__main__":
    main()
