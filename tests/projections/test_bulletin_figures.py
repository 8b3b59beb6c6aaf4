"""A bulletin's figures, now read in time linear in the quarter's events, are byte for byte the
figures of the former whole-trail scan (``bench.bulletins.by_scan``), for every county and quarter
of a generated log and at several positions of it."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson

from bench.bulletins.by_scan import bulletin_data_by_scan
from bench.bulletins.log import generate, quarters_of_the_history
from bench.rebuild.world import COUNTIES
from jointcase.storage import init_database
from projections.bulletins import AuditBulletins, Quarter, bulletin_data
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


def test_a_trail_from_before_the_bulletin_columns_upgrades_with_init_alone(store: Store) -> None:
    """`jointcase db init` adds the columns the bulletins' indexes hold to an audit trail made
    before them, computed from each event's data, so the same position gives the same bytes
    without a rebuild."""
    head = generate(store.app, store.views.audit, random.Random(7), 600)
    tz = ZoneInfo("Asia/Shanghai")
    year, q = quarters_of_the_history()[0]
    audit = store.views.audit
    before = {
        c: canonical_json(bulletin_data(audit, c, Quarter(year, q), head, tz)) for c in COUNTIES
    }
    with audit.datastore.transaction(commit=True) as curs:
        curs.execute(
            "ALTER TABLE audit_events DROP COLUMN subject_county, DROP COLUMN case_type,"
            " DROP COLUMN sticks, DROP COLUMN value"
        )
    app, _ = init_database(store.settings)  # what `jointcase db init` runs
    app.close()
    indexes = {r["indexname"] for r in audit.query("SELECT indexname FROM pg_indexes")}
    assert {"audit_events_quarter", "audit_events_seizures", "audit_events_openings"} <= indexes
    after = {
        c: canonical_json(bulletin_data(audit, c, Quarter(year, q), head, tz)) for c in COUNTIES
    }
    assert after == before
    shown = [orjson.loads(figures) for figures in after.values()]
    assert any(f["seizures"]["by_case_type"] and f["cases"]["opened"] for f in shown)


def test_figures_read_again_at_a_position_are_computed_once_and_never_shared(
    store: Store,
) -> None:
    """The port keeps the figures of a position (they never change): read again, they are the
    same as computed afresh, and what one caller changes in its copy no other caller sees."""
    head = generate(store.app, store.views.audit, random.Random(11), 400)
    tz = ZoneInfo("Asia/Shanghai")
    year, q = quarters_of_the_history()[0]
    source = AuditBulletins(store.views.audit, store.views.bulletin_issues)
    county = COUNTIES[0]
    first = source.figures(county, year, q, head, tz)
    first["leads"]["received"] = -1
    calls = []
    source.recent.put = lambda key, figures: calls.append(key)  # type: ignore[method-assign]
    again = source.figures(county, year, q, head, tz)
    assert calls == []  # from what was kept
    assert canonical_json(again) == canonical_json(
        bulletin_data(store.views.audit, county, Quarter(year, q), head, tz)
    )
    source.figures(county, year, q, head - 1, tz)
    assert len(calls) == 1  # another position: computed
