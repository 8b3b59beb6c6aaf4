"""Snapshots of a case taken while its state held every seizure (class version 1) still load:
upcast to the ids and running totals that replaying the same events gives now, through the
store's own mapper and through the repository.

``data/case_snapshot_v1.json`` was recorded by the code before class version 2 (through the same
transcodings as the store): a counterfeit case, co-handled, with four seizures by two counties,
sold and unsold, and its snapshot at its last version."""

from __future__ import annotations

import base64
import json
import unittest.mock
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from domain.case import Case
from domain.errors import InvalidInput
from domain.policy import SeizureTotals
from service.app import JointCaseApp
from tests.domain.gwt import T0, XINGHE, ctx

ANY_TEXT = unittest.mock.ANY
RECORDED = json.loads((Path(__file__).parent / "data" / "case_snapshot_v1.json").read_text())


def stored(item: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(item["originator_id"]),
        originator_version=item["originator_version"],
        topic=item["topic"],
        state=item["state"].encode(),
    )


def replayed(app: JointCaseApp) -> Case:
    case: Any = None
    for item in RECORDED["events"]:
        case = app.mapper.to_domain_event(stored(item)).mutate(case)
    assert isinstance(case, Case)
    return case


#: What the four recorded seizures add up to (two sold, two unsold, all counterfeit).
EXPECTED_TOTALS = SeizureTotals(
    value=Decimal("77200.74"),
    sticks=100_000,
    counterfeit_sold_value=Decimal("31200.25"),
    counterfeit_unsold_value=Decimal("46000.49"),
)


def test_the_recording_is_a_version_1_snapshot_holding_every_seizure() -> None:
    state = json.loads(RECORDED["snapshot"]["state"])["state"]
    assert "class_version" not in state and len(state["seizures"]) == 4


def test_a_version_1_snapshot_loads_as_the_ids_and_totals_that_replay_gives(
    app: JointCaseApp,
) -> None:
    snapshot = app.mapper.to_domain_event(stored(RECORDED["snapshot"]))
    from_snapshot = snapshot.mutate(None)
    again = replayed(app)
    assert not hasattr(from_snapshot, "seizures")
    assert from_snapshot.version == again.version == len(RECORDED["events"])
    assert from_snapshot.public_state() == again.public_state()
    assert from_snapshot.seizure_ids == again.seizure_ids
    assert len(from_snapshot.seizure_ids) == 4
    assert from_snapshot.seizure_totals() == again.seizure_totals() == EXPECTED_TOTALS


def test_a_case_whose_latest_snapshot_is_version_1_loads_and_takes_new_seizures(
    app: JointCaseApp,
) -> None:
    case_id = UUID(RECORDED["snapshot"]["originator_id"])
    app.snapshots.recorder.insert_events([stored(RECORDED["snapshot"])])  # type: ignore[union-attr]
    case = app.get_case(case_id)
    assert case.version == len(RECORDED["events"])
    assert case.seizure_totals() == EXPECTED_TOTALS
    already = UUID(next(iter(case.seizure_ids)))
    seizure = {"brand": "中华", "sticks": 1_000, "value": "10", "price_basis": "provincial"}
    with pytest.raises(InvalidInput, match="already recorded"):
        app.record_seizure(case_id, ctx(XINGHE), seized_at=T0, seizure_id=already, **seizure)
    app.record_seizure(case_id, ctx(XINGHE), seized_at=T0, **seizure)
    case = app.get_case(case_id)
    assert case.version == len(RECORDED["events"]) + 1 and case.seizure_count() == 5
    assert case.seizure_totals().sticks == EXPECTED_TOTALS.sticks + 1_000


def test_a_snapshot_now_holds_the_ids_compactly_and_loads_as_replay_gives(
    app: JointCaseApp,
) -> None:
    case = replayed(app)
    stored_now = app.mapper.to_stored_event(Snapshot.take(case))
    state = json.loads(stored_now.state)["state"]
    assert state["class_version"] == 2 and "seizures" not in state
    assert state["seizure_ids"] == {"_type_": "id_set", "_data_": ANY_TEXT}
    assert len(base64.b64decode(state["seizure_ids"]["_data_"])) == 4 * 16  # 16 bytes an id
    again = app.mapper.to_domain_event(stored_now).mutate(None)
    assert again.public_state() == case.public_state()
    assert again.seizure_ids == case.seizure_ids and again.seizure_totals() == EXPECTED_TOTALS
