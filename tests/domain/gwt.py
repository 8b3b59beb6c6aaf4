"""Given / when / then for aggregates, with no database.

``given`` takes aggregates built with their own commands (their pending events are their history) or
lists of events. ``when`` replays each history with ``event.mutate`` into fresh aggregates, so a test
also proves that ``apply`` never re-runs a check, then runs the command on them. ``then`` asserts the
new events (types and key attributes) and that replaying everything rebuilds the same state;
``then_refused`` asserts the specific refusal and that nothing was recorded or changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.values import Actor, Context, Role

XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN = (
    "150924",
    "140221",
    "140222",
    "130725",
    "130728",
    "130708",
)

#: Every recorded time in these tests is counted from here; nothing reads the wall clock.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def ctx(
    county: str,
    when: datetime = T0,
    *,
    role: Role = Role.OFFICER,
    officer: str | None = None,
    correlation_id: str = "corr-1",
) -> Context:
    """The context of a command by an officer of ``county`` at ``when``."""
    return Context(Actor(officer or f"officer-{county}", county, role), when, correlation_id)


@dataclass(frozen=True)
class Expected:
    type: type[Any]
    attributes: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.attributes.items())
        return f"{self.type.__qualname__}({args})"


def event(event_type: type[Any], **attributes: Any) -> Expected:
    """An expected new event: its class and the attributes that matter to the test."""
    return Expected(event_type, attributes)


def replay(events: Sequence[Any]) -> Any:
    """Rebuilds an aggregate from its events, as a repository would."""
    aggregate = None
    for e in events:
        aggregate = e.mutate(aggregate)
    return aggregate


def given(*histories: Aggregate | Sequence[Any]) -> Scenario:
    """The history before the command; ``given()`` with nothing for commands that create."""
    collected: list[list[Any]] = []
    for history in histories:
        events = list(history.collect_events() if isinstance(history, Aggregate) else history)
        assert events, "a given aggregate needs a history: build it with its commands"
        collected.append(events)
    return Scenario(collected)


@dataclass
class Scenario:
    histories: list[list[Any]]

    def when(self, command: Callable[..., Any]) -> Outcome:
        """Runs ``command(*aggregates)`` on aggregates replayed from the given histories."""
        aggregates = [replay(h) for h in self.histories]
        try:
            result = command(*aggregates)
        except DomainError as e:
            return Outcome(self.histories, aggregates, error=e)
        if not self.histories and isinstance(result, Aggregate):
            return Outcome([[]], [result], result=result)  # a command that creates an aggregate
        return Outcome(self.histories, aggregates, result=result)


@dataclass
class Outcome:
    histories: list[list[Any]]
    aggregates: list[Any]
    result: Any = None
    error: DomainError | None = None

    @property
    def aggregate(self) -> Any:
        """The first given aggregate, after the command."""
        return self.aggregates[0]

    def new_events(self) -> list[Any]:
        """Every aggregate's pending events, in the order the aggregates were given."""
        return [e for a in self.aggregates for e in a.pending_events]

    def then(self, *expected: Expected | type[Any]) -> Outcome:
        if self.error is not None:
            raise AssertionError(
                f"expected {list(expected)}, but it was refused: {type(self.error).__name__}: "
                f"{self.error}"
            )
        wanted = [x if isinstance(x, Expected) else Expected(x) for x in expected]
        recorded = self.new_events()
        assert [type(e) for e in recorded] == [x.type for x in wanted], (
            f"recorded {[type(e).__qualname__ for e in recorded]}, expected {wanted}"
        )
        for e, x in zip(recorded, wanted, strict=True):
            for name, value in x.attributes.items():
                assert getattr(e, name) == value, (
                    f"{type(e).__qualname__}.{name} is {getattr(e, name)!r}, expected {value!r}"
                )
        for history, aggregate in zip(self.histories, self.aggregates, strict=True):
            new = list(aggregate.pending_events)
            assert replay(history + new) == _without_pending(aggregate), (
                "replaying the events does not rebuild the state the command left"
            )
        return self

    def then_refused(self, error: type[DomainError], match: str | None = None) -> DomainError:
        recorded = [type(e).__qualname__ for e in self.new_events()]
        assert self.error is not None, f"expected {error.__name__}, but it recorded {recorded}"
        assert type(self.error) is error, (
            f"expected {error.__name__}, got {type(self.error).__name__}: {self.error}"
        )
        if match is not None:
            assert re.search(match, str(self.error)), f"{str(self.error)!r} !~ {match!r}"
        assert recorded == [], f"a refused command recorded {recorded}"
        for history, aggregate in zip(self.histories, self.aggregates, strict=True):
            assert aggregate.version == history[-1].originator_version
            assert aggregate == replay(history), "a refused command changed the state"
        return self.error


def _without_pending(aggregate: Any) -> Any:
    """A copy of the aggregate's state without its pending events (replay has none)."""
    copy = object.__new__(type(aggregate))
    copy.__dict__.update(aggregate.__dict__)
    copy.__dict__["_pending_events"] = []
    return copy
