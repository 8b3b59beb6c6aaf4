"""The contribution ledger through HTTP: the survivor keeps the absorbed cases' contributions."""

from __future__ import annotations

from decimal import Decimal

from tests.api.committee.conftest import Scenario
from tests.api.world import (
    SHANGYI,
    TIANZHEN,
    XINGHE,
    YANGGAO,
)


def test_the_survivors_ledger_keeps_the_absorbed_cases_contributions_and_counties(
    scenario: Scenario,
) -> None:
    ledger = scenario.w.get("committee-a", f"/v1/cases/{scenario.ids['C1']}/contributions").json()
    kinds = sorted((c["kind"], c["county"]) for c in ledger["items"])
    assert kinds == sorted(
        [
            ("lead_registered", XINGHE),
            ("lead_referred", XINGHE),
            ("case_led", YANGGAO),
            ("case_led", TIANZHEN),
            ("case_co_handled", TIANZHEN),
            ("seizure_made", YANGGAO),
            ("seizure_made", TIANZHEN),
            ("seizure_made", TIANZHEN),
            ("assistance_answered", SHANGYI),
        ]
    )
    assert Decimal(ledger["value"]) == Decimal("188000.00")
    own = scenario.w.get(TIANZHEN, f"/v1/cases/{scenario.ids['C1']}/contributions").json()
    assert {c["county"] for c in own["items"]} == {TIANZHEN}
