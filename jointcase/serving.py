"""API workers that share their connections evenly.

`jointcase serve --workers N` runs uvicorn's worker processes on one listening socket. Each
worker's event loop accepts every connection waiting when the socket becomes readable, and
the kernel wakes the workers in the same order each time, so a few long-lived keep-alive
connections (a reverse proxy's pool, a client's) land unevenly: measured with 8 clients and 2
workers, rounds split 8/0, 7/1, 6/2 and 4/4 (bench/README.md, http_vs_direct). A worker holding
7 of 8 connections runs their requests on one core, under one GIL, while the other idles.

Here each worker publishes how many connections it holds in a slot of a small file shared by
the workers (`WorkerSlots`, made by `jointcase serve`), and accepts a waiting connection only
when no other live worker holds fewer; otherwise it steps aside for up to `MAX_WAIT` seconds
and the other worker, woken by the same readiness, takes it. After `MAX_WAIT` it accepts
anyway, so a busy or stuck worker never holds a connection back for longer than that.

The worker's loop is uvloop's (uvicorn's default), extended through uvicorn's custom loop
factory (`loop="module:function"`): only `create_server` on an already-bound socket, the way
uvicorn's workers listen, is replaced. A single process (`--workers 1`) or a loop without the
shared file serves as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import mmap
import os
import socket
import struct
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvloop

#: The environment variable naming the shared file; set by `jointcase serve` for its workers.
SLOTS_ENV = "JOINTCASE_WORKER_SLOTS"
#: Slots in the file: workers and their replacements (a dead worker's slot is taken again).
SLOT_COUNT = 64
_SLOT = struct.Struct("=ii")  # pid, connections held
#: Longest a worker steps aside for a connection another worker should take.
MAX_WAIT = 0.1
_STEP = 0.002


class WorkerSlots:
    """Each worker's pid and number of connections, in a file mapped by every worker. A
    worker writes only its own slot (one 8-byte write); a slot is claimed under a file lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("r+b") as f:
            self._map = mmap.mmap(f.fileno(), SLOT_COUNT * _SLOT.size)
        self.index: int | None = None

    @staticmethod
    def create(directory: str | None = None) -> Path:
        """A new, empty file for one `serve`."""
        fd, name = tempfile.mkstemp(prefix="jointcase-workers-", dir=directory)
        os.write(fd, bytes(SLOT_COUNT * _SLOT.size))
        os.close(fd)
        return Path(name)

    def claim(self) -> None:
        """Takes a free slot, or one whose worker is gone."""
        pid = os.getpid()
        with self.path.open("r+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                for i in range(SLOT_COUNT):
                    owner, _ = _SLOT.unpack_from(self._map, i * _SLOT.size)
                    if owner in (0, pid) or not _alive(owner):
                        _SLOT.pack_into(self._map, i * _SLOT.size, pid, 0)
                        self.index = i
                        return
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        raise RuntimeError(f"no free worker slot in {self.path}")

    def publish(self, connections: int) -> None:
        if self.index is not None:
            _SLOT.pack_into(self._map, self.index * _SLOT.size, os.getpid(), connections)

    def release(self) -> None:
        if self.index is not None:
            _SLOT.pack_into(self._map, self.index * _SLOT.size, 0, 0)
            self.index = None

    def others(self) -> Iterator[int]:
        """The connections held by each other worker that has a slot."""
        for i in range(SLOT_COUNT):
            if i == self.index:
                continue
            owner, held = _SLOT.unpack_from(self._map, i * _SLOT.size)
            if owner and _alive(owner):  # a killed worker's slot waits for its replacement
                yield held

    def fewest_elsewhere(self) -> int | None:
        return min(self.others(), default=None)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class BalancedListener:
    """Accepts connections on a shared listening socket, taking one only when this worker holds
    no more than any other (see the module's doc). Quacks like the `asyncio.Server` uvicorn
    keeps: `close`, `wait_closed`, `sockets`."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol_factory: Callable[[], asyncio.Protocol],
        sock: socket.socket,
        slots: WorkerSlots,
        ssl: Any = None,
        backlog: int = 100,
    ) -> None:
        self._loop = loop
        self._factory = protocol_factory
        self._sock = sock
        self._slots = slots
        self._ssl = ssl
        self._transports: set[asyncio.BaseTransport] = set()
        self._starting = 0  # accepted, transport not made yet
        self._closed = False
        sock.setblocking(False)
        sock.listen(backlog)  # uvicorn binds the socket; the server listens (as asyncio's does)
        self._task = loop.create_task(self._accept_all())

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,)

    def held(self) -> int:
        self._transports = {t for t in self._transports if not t.is_closing()}
        return len(self._transports) + self._starting

    async def _readable(self) -> None:
        ready = self._loop.create_future()
        fd = self._sock.fileno()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        self._loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            self._loop.remove_reader(fd)

    async def _my_turn(self) -> None:
        """Returns when no other worker holds fewer connections, or after MAX_WAIT."""
        waited = 0.0
        while waited < MAX_WAIT:
            mine = self.held()
            self._slots.publish(mine)
            fewest = self._slots.fewest_elsewhere()
            if fewest is None or mine <= fewest:
                return
            await asyncio.sleep(_STEP)
            waited += _STEP

    async def _accept_all(self) -> None:
        while not self._closed:
            await self._readable()
            await self._my_turn()
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                continue  # another worker took it
            except OSError:
                if self._closed:
                    return
                await asyncio.sleep(_STEP)  # e.g. out of file descriptors: try again shortly
                continue
            self._starting += 1
            self._slots.publish(self.held())
            self._loop.create_task(self._serve(conn))

    async def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            transport, _ = await self._loop.connect_accepted_socket(
                self._factory, conn, ssl=self._ssl
            )
            self._transports.add(transport)
        except OSError:  # the peer went away (ConnectionError and TimeoutError are OSErrors)
            conn.close()
        finally:
            self._starting -= 1
            self._slots.publish(self.held())

    def close(self) -> None:
        """Stops accepting (the listening socket is uvicorn's to close); connections carry on."""
        self._closed = True
        self._task.cancel()
        self._slots.publish(1 << 30)  # accept nothing more here: the others take them

    async def wait_closed(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._slots.release()


class BalancedLoop(uvloop.Loop):
    """uvloop's loop whose `create_server` on a bound socket (how uvicorn's workers listen)
    accepts through a `BalancedListener` when the workers share a slots file."""

    slots: WorkerSlots | None = None

    async def create_server(  # type: ignore[override]
        self, protocol_factory: Callable[[], asyncio.Protocol], *args: Any, **kwargs: Any
    ) -> Any:
        sock = kwargs.get("sock")
        if self.slots is None or sock is None or args or kwargs.get("host") or kwargs.get("port"):
            return await super().create_server(protocol_factory, *args, **kwargs)
        if self.slots.index is None:
            self.slots.claim()
        return BalancedListener(
            self, protocol_factory, sock, self.slots, kwargs.get("ssl"), kwargs.get("backlog", 100)
        )


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's custom loop factory (`loop="jointcase.serving:new_event_loop"`): a
    `BalancedLoop`, sharing connections through the file `SLOTS_ENV` names, if any."""
    loop = BalancedLoop()
    path = os.environ.get(SLOTS_ENV)
    if path and Path(path).exists():
        loop.slots = WorkerSlots(Path(path))
    return loop
