"""A bulletin's figures, now read in time linear in the quarter's events, are byte for byte the
figures of the former whole-trail scan (``bench.bulletins.by_scan``), for every county and quarter
of a generated log and at several positions of it."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bench.bulletins.by_scan import bulletin_data_by_scan
from bench.bulletins.log import generate, quarters_of_the_history
from bench.rebuild.world import COUNTIES
from projections.bulletins import Quarter, bulletin_data
from service.bulletins import canonical_json
from tests.projections.conftest import Store


def test_bulletins_are_the_bytes_of_the_whole_trail_scan_on_a_generated_log(store: Store) -> None:
    head = generate(store.app, store.views.audit, random.Random(20261203), 3000)
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime.now(UTC).astimezone(tz)
    quarters = [*quarters_of_the_history(), (now.year, (now.month - 1) // 3 + 1)]
    seen: Counter[str] = Counter()
    for as_of in (head, head // 2):
        for year, q in quarters:
            for county in COUNTIES:
                quarter = Quarter(year, q)
                new = bulletin_data(store.views.audit, county, quarter, as_of, tz)
                old = bulletin_data_by_scan(store.views.audit, county, quarter, as_of, tz)
                assert canonical_json(new) == canonical_json(old), (county, quarter, as_of)
                seen.update(k for k, v in new["leads"]["acknowledgement"].items() if v)
                seen.update(k for k, v in new["leads"]["feedback"].items() if v)
                seen.update(k for k, v in new["cases"].items() if v)
                seen.update(s["case_type"] for s in new["seizures"]["by_case_type"])
                seen["operations"] += len(new["joint_operations"])
                seen["attached"] += sum(o["cases_attached"] for o in new["joint_operations"])
                seen["market_notes"] += len(new["market_notes"])
    # the log holds every kind of figure, so the comparison covers each of them
    assert set(seen) >= {
        "in_time",
        "late",
        "unanswered",
        "none_yet",
        "opened",
        "merged_into_other_cases",
        "other_cases_merged_in",
        "jointly_handled",
        "referred_to_police",
        "counterfeit",
        "smuggled",
        "operations",
        "attached",
        "market_notes",
    }, seen
