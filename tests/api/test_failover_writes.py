"""Writes while the database fails over: the connection breaks around the commit. A commit whose
acknowledgement was lost is answered once (not refused, not recorded twice); a write the database
does not take within the wait is a 503 with Retry-After (problem+json), never a 500; a retry with
the same Idempotency-Key then tells whether the first one was recorded, and records it at most
once. Reads that cannot reach the database are 503 too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import OperationalError

from tests.api.conftest import YANGGAO, Api

BROKEN = "server closed the connection unexpectedly"


def lead_body(summary: str) -> dict[str, Any]:
    return {"summary": summary, "source": "tip_off", "place_county": YANGGAO}


def registered_since(api: Api, position: int) -> dict[str, list[str]]:
    """Summary -> ids of the leads registered in the log after ``position``."""
    app = api.services.app
    found: dict[str, list[str]] = {}
    for n in app.recorder.select_notifications(start=position + 1, limit=10_000):
        if n.topic.endswith("Lead.Registered"):
            event: Any = app.mapper.to_domain_event(n)
            found.setdefault(event.summary, []).append(str(event.originator_id))
    return found


@pytest.fixture
def failing(api: Api, monkeypatch: pytest.MonkeyPatch):
    """Makes the recorder's inserts fail as a failover does, in the ways a test asks: the
    insert commits and then the connection breaks (``commit_then_break``), or the database is
    not reachable at all (``down``)."""
    recorder: Any = api.services.app.recorder
    real = recorder.insert_events
    state = {"commit_then_break": 0, "down": False, "calls": 0}

    def insert_events(stored_events: Any, **kwargs: Any) -> Any:
        state["calls"] += 1
        if state["down"]:
            raise OperationalError(BROKEN)
        if state["commit_then_break"] > 0:
            state["commit_then_break"] -= 1
            real(stored_events, **kwargs)
            raise OperationalError(BROKEN)
        return real(stored_events, **kwargs)

    monkeypatch.setattr(recorder, "insert_events", insert_events)
    monkeypatch.setattr(api.services.app, "unavailable_wait", 0.6)
    return state


def test_a_commit_whose_acknowledgement_is_lost_is_recorded_and_answered_once(
    api: Api, failing: dict[str, Any]
) -> None:
    before = api.services.app.log_position()
    failing["commit_then_break"] = 1
    summary = f"lost ack {uuid4()}"
    r = api.post("officer", YANGGAO, "/v1/leads", lead_body(summary))
    assert r.status_code == 201, r.text
    assert failing["calls"] == 2  # sent again after the break; recognised as its own
    recorded = registered_since(api, before)
    assert recorded[summary] == [r.json()["id"]]
    assert r.json()["position"] == api.services.app.log_position()


def test_a_write_the_database_does_not_take_is_a_503_and_nothing_is_recorded(
    api: Api, failing: dict[str, Any]
) -> None:
    before = api.services.app.log_position()
    failing["down"] = True
    summary = f"down {uuid4()}"
    r = api.post("officer", YANGGAO, "/v1/leads", lead_body(summary))
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["rule"] == "database-unavailable"
    failing["down"] = False
    assert summary not in registered_since(api, before)


def test_a_retry_with_the_key_finds_the_write_that_was_recorded_before_the_break(
    api: Api, failing: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst case: the commit happened, the connection broke before its acknowledgement,
    and the database stayed away longer than the wait. The client got a 503 and retries with
    its key: it gets the first write's answer; nothing is recorded twice."""
    before = api.services.app.log_position()
    failing["commit_then_break"] = 1
    failing["down"] = False
    summary = f"uncertain {uuid4()}"
    key = uuid4().hex

    def down_after_first(state: dict[str, Any] = failing) -> None:
        state["down"] = True

    # The first insert commits and breaks; every later one finds the database down.
    recorder: Any = api.services.app.recorder
    first = recorder.insert_events

    def insert_events(stored_events: Any, **kwargs: Any) -> Any:
        try:
            return first(stored_events, **kwargs)
        finally:
            down_after_first()

    monkeypatch.setattr(recorder, "insert_events", insert_events)
    r = api.post("officer", YANGGAO, "/v1/leads", lead_body(summary), **{"Idempotency-Key": key})
    assert r.status_code == 503, r.text
    assert "Idempotency-Key" in r.json()["detail"]

    failing["down"] = False
    # Straight away, the first request might still be committing: wait and retry.
    again = api.post(
        "officer", YANGGAO, "/v1/leads", lead_body(summary), **{"Idempotency-Key": key}
    )
    assert again.status_code == 409, again.text
    assert again.headers["Retry-After"]
    # Once it has surely given up, the retry settles it from the events table.
    monkeypatch.setattr(api.services.idempotency, "abandon_after", timedelta(0))
    settled = api.post(
        "officer", YANGGAO, "/v1/leads", lead_body(summary), **{"Idempotency-Key": key}
    )
    assert settled.status_code == 201, settled.text
    assert settled.headers["Idempotent-Replayed"] == "true"
    recorded = registered_since(api, before)
    assert recorded[summary] == [settled.json()["id"]]
    assert settled.headers["Location"] == f"/v1/leads/{settled.json()['id']}"
    # and the settled answer is kept: the next retry gets the same bytes
    third = api.post(
        "officer", YANGGAO, "/v1/leads", lead_body(summary), **{"Idempotency-Key": key}
    )
    assert third.status_code == 201
    assert third.content == settled.content


def test_a_retry_with_the_key_records_a_write_that_never_reached_the_database(
    api: Api, failing: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = api.services.app.log_position()
    failing["down"] = True
    summary = f"never reached {uuid4()}"
    key = uuid4().hex
    r = api.post("officer", YANGGAO, "/v1/leads", lead_body(summary), **{"Idempotency-Key": key})
    assert r.status_code == 503
    failing["down"] = False
    monkeypatch.setattr(api.services.idempotency, "abandon_after", timedelta(0))
    retried = api.post(
        "officer", YANGGAO, "/v1/leads", lead_body(summary), **{"Idempotency-Key": key}
    )
    assert retried.status_code == 201, retried.text
    assert "Idempotent-Replayed" not in retried.headers
    assert registered_since(api, before)[summary] == [retried.json()["id"]]


def test_a_read_that_cannot_reach_the_database_is_a_503(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api.post("officer", YANGGAO, "/v1/leads", lead_body(f"read {uuid4()}"))
    assert created.status_code == 201
    recorder: Any = api.services.app.recorder

    def select_events(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError(BROKEN)

    monkeypatch.setattr(recorder, "select_events", select_events)
    # An aggregate is loaded in one query of the store's own (retried like the library's reads).
    monkeypatch.setattr(api.services.app, "_stored_history", select_events)
    cache = api.services.app.repository.cache
    if cache is not None:
        monkeypatch.setattr(cache, "get", lambda *a, **k: (_ for _ in ()).throw(KeyError()))
    r = api.get("officer", YANGGAO, f"/v1/leads/{created.json()['id']}")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["Retry-After"]
