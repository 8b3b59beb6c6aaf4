"""The base of every stored event: besides the library's id, version and timestamp (the server's
recorded time), each event names the acting officer and the correlation id of the request."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from domain.values import Actor, Context


class JointEvent(Aggregate.Event):
    actor: Actor
    correlation_id: str


class JointCreated(Aggregate.Created, JointEvent):
    pass


def stamp(ctx: Context) -> dict[str, object]:
    """The common event attributes taken from a command's context."""
    return {"timestamp": ctx.at, "actor": ctx.actor, "correlation_id": ctx.correlation_id}
