"""Read-your-writes for view reads: `wait_for=<position>` waits (briefly) until the views named
have applied the log up to the position a write answered with."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Query

from api.deps import Services
from api.errors import ApiProblem
from projections.base import View

WaitFor = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**62,
        description="Wait until the view has applied the log up to this position (the "
        "`position` of a write), at most a few seconds; 503 with Retry-After otherwise.",
    ),
]


def await_views(services: Services, views: list[View], position: int | None) -> None:
    if position is None:
        return
    last = services.app.log_position()
    if position > last:
        raise ApiProblem(
            422,
            f"position {position} has not been recorded (the log ends at {last})",
            "position-not-recorded",
        )
    deadline = time.monotonic() + services.settings.wait_timeout
    pause = 0.005
    while True:
        behind = [v.name for v in views if v.position() < position]
        if not behind:
            return
        if time.monotonic() >= deadline:
            raise ApiProblem(
                503,
                f"view(s) {', '.join(behind)} have not reached position {position} yet",
                "view-behind",
                {"Retry-After": "1"},
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
