"""Notifications end to end on real PostgreSQL: a webhook receiver and an SMTP server (aiosmtpd)
on loopback receive exactly one message per event and recipient; a second pass, a restart or a
rebuild of the workspace view sends nothing again; a receiver that is down gets the message
after it comes back; deadlines are announced before and when they lapse; administrators manage
their county's targets and see the deliveries; every county reads only its own notifications."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from jointcase.notifications import Notifier, Sender
from tests.api.world import (
    HUAIAN,
    SHANGYI,
    TIANZHEN,
    WANQUAN,
    XINGHE,
    YANGGAO,
    World,
    assert_problem,
    make_world,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver on loopback that records what it acknowledged."""

    def __init__(self, port: int | None = None, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(outer.status)
                self.end_headers()
                if 200 <= outer.status < 300:
                    outer.received.append((dict(self.headers), body))

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"

    def __init__(self) -> None:
        self.messages: list[Any] = []


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def world(smtp: tuple[Mailbox, int]) -> Iterator[World]:
    for w in make_world():
        assert w.services.notifier is not None  # the in-process notifier of the embedded default
        w.services.notifier.stop()  # these tests drive their own, with their own clock
        w.services.settings.smtp_host = "127.0.0.1"
        w.services.settings.smtp_port = smtp[1]
        for county in (YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN):
            w.tokens[f"admin {county}"] = w.services.officers.add(county, "admin", "admin")[1]
        yield w


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def notifier(world: World, clock: Clock) -> Iterator[Notifier]:
    from jointcase.notifications import build_sender

    store = world.services.notifications
    assert store is not None
    sender: Sender = build_sender(world.services.settings, store)
    n = Notifier(store, sender, world.services.views.workspace.position, clock=clock)
    n.run_once()  # the first pass only marks where notifying starts
    yield n
    sender.close()


def settle(world: World) -> None:
    head = world.services.app.recorder.max_notification_id() or 0
    deadline = time.monotonic() + 20
    while world.services.views.workspace.position() < head:
        assert time.monotonic() < deadline, "the workspace view did not catch up"
        time.sleep(0.02)


def refer(world: World, to: str) -> str:
    r = world.post(
        XINGHE, "/v1/leads", {"summary": "假烟 van", "source": "tip_off", "place_county": to}
    )
    assert r.status_code == 201, r.text
    lead = r.json()["id"]
    r = world.post(XINGHE, f"/v1/leads/{lead}/referrals", {"to_county": to, "reason": "route"})
    assert r.status_code in (200, 201), r.text
    settle(world)
    return str(lead)


def add_target(world: World, county: str, channel: str, address: str) -> dict[str, Any]:
    r = world.post(
        f"admin {county}", "/v1/notification-targets", {"channel": channel, "address": address}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_referral_reaches_its_county_once_by_webhook_and_mail(
    world: World, notifier: Notifier, smtp: tuple[Mailbox, int], clock: Clock
) -> None:
    box, _ = smtp
    receiver = Receiver()
    try:
        hook = add_target(world, YANGGAO, "webhook", receiver.url)
        add_target(world, YANGGAO, "email", "duty@yanggao.example")
        already = len(box.messages)
        lead = refer(world, YANGGAO)

        created, attempted = notifier.run_once()
        assert (created, attempted) == (1, 2)
        assert len(receiver.received) == 1 and len(box.messages) == already + 1

        headers, body = receiver.received[0]
        signed = f"{headers['X-Jointcase-Timestamp']}.".encode() + body
        expected = hmac.new(hook["secret"].encode(), signed, hashlib.sha256).hexdigest()
        assert headers["X-Jointcase-Signature"] == f"v1={expected}"
        assert headers["Idempotency-Key"]
        note = json.loads(body)
        assert note["kind"] == "arrived" and note["item"] == "acknowledge_referral"
        assert note["county"] == YANGGAO and note["lead_id"] == lead
        assert note["from_county"] == XINGHE and note["due_at"].endswith("Z")

        mail = message_from_bytes(box.messages[-1].content)
        assert box.messages[-1].rcpt_tos == ["duty@yanggao.example"]
        assert "移交" in str(make_header(decode_header(mail["Subject"])))

        # a second pass, and a rebuild of the view the notifier follows, send nothing again
        assert notifier.run_once() == (0, 0)
        world.services.views.workspace.reset()
        settle(world)
        assert notifier.run_once() == (0, 0)
        assert len(receiver.received) == 1 and len(box.messages) == already + 1

        # the county reads it in its unread list; another county does not see it
        r = world.get(YANGGAO, "/v1/notifications", unread="true")
        assert r.status_code == 200 and r.json()["unread"] == 1
        (item,) = r.json()["items"]
        assert item["lead_id"] == lead and item["read_at"] is None
        assert world.get(XINGHE, "/v1/notifications").json()["items"] == []
        assert_problem(world.post(XINGHE, f"/v1/notifications/{item['id']}/read"), 404, "not-found")
        assert world.post(YANGGAO, f"/v1/notifications/{item['id']}/read").json()["marked"] == 1
        assert world.get(YANGGAO, "/v1/notifications", unread="true").json()["unread"] == 0

        # the administrator sees both deliveries as sent
        deliveries = world.get(f"admin {YANGGAO}", "/v1/notification-deliveries").json()["items"]
        assert sorted(d["channel"] for d in deliveries) == ["email", "webhook"]
        assert {d["state"] for d in deliveries} == {"sent"}
    finally:
        receiver.close()


def test_a_receiver_that_is_down_gets_the_message_after_it_comes_back(
    world: World, notifier: Notifier, clock: Clock
) -> None:
    port = free_port()  # nothing listens here yet
    hook = add_target(world, TIANZHEN, "webhook", f"http://127.0.0.1:{port}/hook")
    refer(world, TIANZHEN)
    notifier.run_once()
    (pending,) = world.get(f"admin {TIANZHEN}", "/v1/notification-deliveries").json()["items"]
    assert pending["state"] == "pending" and pending["attempts"] == 1 and pending["last_error"]

    receiver = Receiver(port)
    try:
        assert notifier.run_once() == (0, 0)  # not before its back-off has passed
        clock.now += timedelta(minutes=5)
        assert notifier.run_once() == (0, 1)
        assert len(receiver.received) == 1
        (sent,) = world.get(f"admin {TIANZHEN}", "/v1/notification-deliveries").json()["items"]
        assert sent["state"] == "sent" and sent["attempts"] == 2
        assert receiver.received[0][0]["Idempotency-Key"] == pending["idempotency_key"]
        clock.now += timedelta(hours=2)
        notifier.run_once()
        assert len(receiver.received) == 1
    finally:
        receiver.close()
        world.client.delete(
            f"/v1/notification-targets/{hook['id']}", headers=world.as_(f"admin {TIANZHEN}")
        )


def test_a_delivery_is_given_up_after_the_set_attempts_and_shown_as_failed(
    world: World, notifier: Notifier, clock: Clock
) -> None:
    receiver = Receiver(status=500)
    store = notifier.store
    attempts, store.max_attempts = store.max_attempts, 3
    try:
        add_target(world, SHANGYI, "webhook", receiver.url)
        refer(world, SHANGYI)
        for _ in range(6):
            notifier.run_once()
            clock.now += timedelta(hours=2)
        (failed,) = world.get(f"admin {SHANGYI}", "/v1/notification-deliveries").json()["items"]
        assert failed["state"] == "failed" and failed["attempts"] == 3
        assert "500" in failed["last_error"]
        listed = world.get(f"admin {SHANGYI}", "/v1/notification-deliveries", state="failed")
        assert [d["id"] for d in listed.json()["items"]] == [failed["id"]]
    finally:
        store.max_attempts = attempts
        receiver.close()


def test_a_deadline_is_announced_before_and_when_it_lapses_once_each(
    world: World, notifier: Notifier, clock: Clock
) -> None:
    start = clock.now
    lead = refer(world, HUAIAN)
    answered = refer(world, HUAIAN)
    r = world.post(HUAIAN, f"/v1/leads/{answered}/referrals/{HUAIAN}/acceptance")
    assert r.status_code == 200, r.text
    settle(world)
    notifier.run_once()
    kinds = [
        (n["lead_id"], n["kind"], n["item_kind"])
        for n in world.get(HUAIAN, "/v1/notifications").json()["items"]
    ]
    assert (lead, "arrived", "acknowledge_referral") in kinds
    assert (answered, "arrived", "acknowledge_referral") not in kinds  # already acknowledged

    def of_lead(kind: str) -> list[dict[str, Any]]:
        items = world.get(HUAIAN, "/v1/notifications", limit=500).json()["items"]
        return [n for n in items if n["lead_id"] == lead and n["kind"] == kind]

    due = datetime.fromisoformat(of_lead("arrived")[0]["due_at"])
    clock.now = due - timedelta(hours=23)
    notifier.run_once()
    notifier.run_once()
    assert len(of_lead("deadline_soon")) == 1 and not of_lead("deadline_lapsed")
    clock.now = due + timedelta(minutes=1)
    notifier.run_once()
    notifier.run_once()
    assert len(of_lead("deadline_lapsed")) == 1 and len(of_lead("deadline_soon")) == 1
    clock.now = start


def test_administrators_manage_their_own_county_targets(world: World) -> None:
    body = {"channel": "webhook", "address": "https://hooks.example/wanquan"}
    assert_problem(world.post(WANQUAN, "/v1/notification-targets", body), 403, "permission-denied")
    bad = {"channel": "webhook", "address": "ftp://hooks.example/x"}
    assert world.post(f"admin {WANQUAN}", "/v1/notification-targets", bad).status_code == 422
    bad = {"channel": "email", "address": "not an address"}
    assert world.post(f"admin {WANQUAN}", "/v1/notification-targets", bad).status_code == 422
    bad = {"channel": "pager", "address": "12345"}
    assert world.post(f"admin {WANQUAN}", "/v1/notification-targets", bad).status_code == 422
    created = add_target(world, WANQUAN, "webhook", body["address"])
    assert created["secret"].startswith("whsec_")
    r = world.post(f"admin {WANQUAN}", "/v1/notification-targets", body)
    assert r.status_code == 422  # the same address twice
    listed = world.get(f"admin {WANQUAN}", "/v1/notification-targets").json()["items"]
    assert [t["address"] for t in listed] == [body["address"]] and "secret" not in listed[0]
    assert world.get(f"admin {YANGGAO}", "/v1/notification-targets").json()["items"] != listed
    # another county's administrator cannot remove it: not found, as for an unknown id
    r = world.client.delete(
        f"/v1/notification-targets/{created['id']}", headers=world.as_(f"admin {YANGGAO}")
    )
    assert_problem(r, 404, "not-found")
    r = world.client.delete(
        f"/v1/notification-targets/{created['id']}", headers=world.as_(f"admin {WANQUAN}")
    )
    assert r.status_code == 204
    assert world.get(f"admin {WANQUAN}", "/v1/notification-targets").json()["items"] == []
    assert world.client.get("/v1/notifications").status_code == 401
