"""API workers share their connections evenly (`jointcase.serving`): the kernel wakes the workers
of one listening socket in the same order, and uvicorn's workers took 7 or all 8 of 8 keep-alive
connections in one process while the other idled."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from jointcase import serving
from jointcase.storage import init_database
from tests.pg import scratch_database, settings_env


class _Pid(asyncio.Protocol):
    """Answers each read with the serving process's pid."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(f"{os.getpid()}\n".encode())  # type: ignore[attr-defined]


def _worker(sock: socket.socket, slots: str, seconds: float) -> None:
    os.environ[serving.SLOTS_ENV] = slots
    loop = serving.new_event_loop()

    async def serve() -> None:
        await asyncio.get_running_loop().create_server(_Pid, sock=sock, backlog=64)
        await asyncio.sleep(seconds)

    loop.run_until_complete(serve())


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def _owners(slots: Path) -> int:
    data = slots.read_bytes()
    return sum(
        1
        for i in range(serving.SLOT_COUNT)
        if int.from_bytes(data[i * 8 : i * 8 + 4], sys.byteorder)
    )


def _served_by(connections: list[socket.socket]) -> Counter[str]:
    served = Counter()
    for conn in connections:
        conn.sendall(b"?")
        served[conn.recv(32).decode().strip()] += 1
    return served


@pytest.fixture
def slots() -> Iterator[Path]:
    path = serving.WorkerSlots.create()
    yield path
    path.unlink(missing_ok=True)


def test_two_workers_on_one_socket_take_four_of_eight_connections_each(slots: Path) -> None:
    sock = _listening()
    port = sock.getsockname()[1]
    spawn = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    workers = [spawn.Process(target=_worker, args=(sock, str(slots), 30)) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 20
        while _owners(slots) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _owners(slots) == 2, "both workers listen"
        # All at once, as a client's pool or a proxy opens them.
        connections = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(8)]
        served = _served_by(connections)
        assert sorted(served.values()) == [4, 4], served
        for conn in connections:
            conn.close()
    finally:
        for worker in workers:
            worker.kill()
            worker.join()
        sock.close()


def test_a_worker_that_never_accepts_holds_no_connection_back(slots: Path) -> None:
    """Another process holds a slot with no connections and never accepts (a stuck worker):
    this one still takes every connection, each after at most MAX_WAIT."""
    stuck = serving.WorkerSlots(slots)
    stuck.claim()  # this test's process: alive, 0 connections, accepting nothing
    sock = _listening()
    port = sock.getsockname()[1]
    ready, done = threading.Event(), threading.Event()

    def run() -> None:
        os.environ[serving.SLOTS_ENV] = str(slots)
        loop = serving.new_event_loop()

        async def serve() -> None:
            listener = await loop.create_server(_Pid, sock=sock, backlog=64)
            ready.set()
            while not done.is_set():
                await asyncio.sleep(0.05)
            listener.close()
            await listener.wait_closed()

        loop.run_until_complete(serve())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert ready.wait(10)
        connections = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(5)]
        started = time.monotonic()
        served = _served_by(connections)
        assert sum(served.values()) == 5
        assert time.monotonic() - started < 5 * serving.MAX_WAIT + 2
        for conn in connections:
            conn.close()
    finally:
        stuck.release()
        done.set()
        thread.join(5)
        sock.close()


def test_serve_with_two_workers_answers_on_every_connection_and_cleans_up() -> None:
    with scratch_database("jointcase_serving") as settings:
        settings.token_pepper = SecretStr("serving-tests-pepper-0123456789abcdef")
        init_app, _ = init_database(settings)
        init_app.close()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {**os.environ, **settings_env(settings), "JOINTCASE_RUN_PROJECTIONS": "false"}
        server = subprocess.Popen(
            [sys.executable, "-m", "jointcase", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert server.poll() is None, server.communicate()[1].decode()[-2000:]
                try:
                    if httpx.get(f"{base}/v1/ready", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            clients = [httpx.Client(base_url=base, timeout=10) for _ in range(8)]
            assert all(c.get("/v1/ready").status_code == 200 for c in clients)
            assert all(c.get("/v1/ready").status_code == 200 for c in clients)  # kept alive
            for client in clients:
                client.close()
            made = [
                Path(p) for p in _environ_of_children(server.pid).get(serving.SLOTS_ENV, "").split()
            ]
            assert made and made[0].exists()
        finally:
            server.send_signal(signal.SIGTERM)
            _, err = server.communicate(timeout=30)
        assert server.returncode == 0, err.decode()[-2000:]
        assert not made[0].exists()  # the shared file goes with the server


def _environ_of_children(pid: int) -> dict[str, str]:
    """The environment of the server's first worker (where it finds the shared file)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    raw = Path(f"/proc/{children[0]}/environ").read_bytes()
    return dict(entry.split("=", 1) for entry in raw.decode().split("\0") if "=" in entry)
