"""The notifier as users run it, inside `jointcase worker`: killed with SIGKILL while a delivery
is in flight, the restarted worker sends nothing again that a receiver acknowledged, and the
delivery that was cut off arrives once acknowledged, with the same idempotency key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from pydantic import SecretStr

from domain.values import Actor, Context, Role
from jointcase.notifications import build_store
from jointcase.storage import open_pool, token_pepper
from tests.pg import settings_env
from tests.projections.conftest import Store

XINGHE, YANGGAO = "150924", "140221"


class Receiver:
    """Acknowledges at once, except while ``hang`` is set: then it holds the request open."""

    def __init__(self) -> None:
        self.hang = threading.Event()
        self.requests: list[str] = []  # idempotency keys, every request that arrived
        self.acknowledged: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the standard library's name
                self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers["Idempotency-Key"]
                outer.requests.append(key)
                if outer.hang.is_set():
                    time.sleep(60)  # the worker is killed meanwhile
                    return
                self.send_response(204)
                self.end_headers()
                outer.acknowledged.append(key)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def refer(store: Store, n: int) -> None:
    ctx = Context(Actor("x1", XINGHE, Role.OFFICER), datetime.now(UTC), f"n{n}")
    lead = store.app.register_lead(ctx, summary=f"lead {n}", source="tip_off", place_county=YANGGAO)
    store.app.refer_lead(lead.id, YANGGAO, "route", ctx)


def wait(condition: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_worker_killed_mid_delivery_sends_nothing_twice_that_was_acknowledged(
    store: Store,
) -> None:
    store.settings.token_pepper = SecretStr("notifier-test-pepper-0123456789abcdef")
    pool = open_pool(store.db, size=1)
    notices = build_store(store.settings, pool, token_pepper(store.settings, store.db))
    receiver = Receiver()
    env = settings_env(store.settings) | {"JOINTCASE_NOTIFY_INTERVAL": "0.1"}
    command = [sys.executable, "-m", "jointcase", "worker"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        notices.add_target_for(YANGGAO, "webhook", receiver.url, "test", datetime.now(UTC))
        wait(lambda: notices.position() is not None, "the notifier did not start")
        for n in range(3):
            refer(store, n)
        wait(lambda: len(receiver.acknowledged) == 3, "three referrals were not delivered")

        receiver.hang.set()  # the next delivery stays in flight...
        refer(store, 3)
        wait(lambda: len(receiver.requests) == 4, "the fourth delivery was not attempted")
        os.kill(worker.pid, signal.SIGKILL)  # ...when the worker dies
        worker.wait(timeout=10)
        receiver.hang.clear()

        worker = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        refer(store, 4)
        wait(lambda: len(receiver.acknowledged) == 5, "the restarted worker did not deliver")
        time.sleep(1)  # a few more passes: nothing else may arrive
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        receiver.close()
        pool.close()

    acknowledged = Counter(receiver.acknowledged)
    assert len(acknowledged) == 5 and set(acknowledged.values()) == {1}
    requests = Counter(receiver.requests)
    # only the delivery that was cut off came twice, with the same key both times
    assert sorted(requests.values()) == [1, 1, 1, 1, 2]
    (repeated,) = [key for key, count in requests.items() if count == 2]
    assert repeated == receiver.requests[3]
    with psycopg.connect(store.db.conninfo()) as conn:
        states = conn.execute(
            "SELECT state, count(*) FROM jointcase_notification_deliveries GROUP BY state"
        ).fetchall()
    assert states == [("sent", 5)]
