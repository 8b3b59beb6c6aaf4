"""Plain `def` endpoints (the use cases block on PostgreSQL) run in a thread pool of the process's
own, handed over with the event loop's `run_in_executor`.

FastAPI hands a `def` endpoint to anyio's `to_thread.run_sync`, which on each call also takes a
capacity-limiter token, opens a cancel scope and reads the clock: timed alone, a no-op hand-off
cost 67 µs of CPU that way against 35-43 µs through the executor, and under load the loop's
side of it was about a tenth of the event loop's time on a write (bench/README.md,
http_vs_direct). A route of `OffloadedRoute` gets an `async def` in front of its endpoint that
does the hand-over, so FastAPI awaits it on the loop: the endpoint itself still runs in a
worker thread, with the request's context variables (copied, as anyio does). FastAPI then also
validates the response model on the loop, not in a second hand-off to the thread pool."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.routing import APIRoute

#: As many threads as anyio's default limiter allows (40): the endpoints that may run at once.
_POOL = ThreadPoolExecutor(max_workers=40, thread_name_prefix="endpoint")


async def offload(call: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Runs a blocking call in the pool, with the caller's context variables."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(_POOL, functools.partial(context.run, call, **kwargs))


def _in_pool(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # the name, docstring and signature FastAPI reads
    async def handed_over(**kwargs: Any) -> Any:
        return await offload(endpoint, **kwargs)

    return handed_over


class OffloadedRoute(APIRoute):
    """A route whose plain `def` endpoint is handed to the pool by `offload`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        blocking = not (
            inspect.iscoroutinefunction(endpoint)
            or inspect.isgeneratorfunction(endpoint)
            or inspect.isasyncgenfunction(endpoint)
        )
        super().__init__(path, _in_pool(endpoint) if blocking else endpoint, **kwargs)
