"""Verification of the log's own proof, reading the events table and the chain table only.

Walks both tables in position order in one snapshot and checks, for every position: that the
chain row and the event are both there, that the link follows from the previous link and the
event's digest, that the stored event still has that digest, and that every signature is valid;
the last chained event must be covered by a signature (a forged append without the key is not),
no event may stand beyond the chain, and, given an anchor kept outside (a position and its link),
the chain must still hold it. The first disagreement is named: its position and what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Composed, Identifier

from domain.chain import GENESIS, ChainVerifier, digest_of, link_of

#: What a finding can name.
KINDS = (
    "altered",  # the stored event differs from what was chained
    "removed",  # a chained event is gone (also: the last one, against an anchor)
    "inserted",  # an event stands where the chain has none (or was slipped in with its link)
    "reordered",  # positions of chained events were swapped
    "chain-altered",  # a link was changed
    "forged",  # a link not signed with the key (an append or a rewrite without the key)
    "unchained",  # events beyond the chain's last position
)


@dataclass
class Finding:
    """The first place where the stored events and the chain disagree."""

    kind: str
    position: int
    aggregate_id: UUID | None
    version: int | None
    detail: str


@dataclass
class Stretch:
    """Consecutive checked events chained the same way: when they were written, or later by
    the backfill of a log written before the chain (then when, and with which key)."""

    first_position: int
    last_position: int
    events: int
    backfilled: bool
    chained_at: datetime | None = None
    key_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "first_position": self.first_position,
            "last_position": self.last_position,
            "events": self.events,
        }
        if self.backfilled:
            out["chained_at"] = self.chained_at.isoformat() if self.chained_at else None
            out["key_id"] = self.key_id
        return out

    def describe(self) -> str:
        count = f"{self.events} event{'s' if self.events != 1 else ''}"
        span = f"positions {self.first_position} to {self.last_position} ({count})"
        if not self.backfilled:
            return f"chained when written: {span}"
        when = self.chained_at.isoformat(timespec="seconds") if self.chained_at else "?"
        return f"chained later by the backfill: {span}, on {when} with key {self.key_id}"


@dataclass
class Verification:
    ok: bool
    checked: int
    head_position: int
    head_link: str | None
    finding: Finding | None
    signed_position: int = 0
    stretches: list[Stretch] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "checked": self.checked,
            "head_position": self.head_position,
            "head_link": self.head_link,
            "signed_position": self.signed_position,
            "chained_at_write": [s.as_dict() for s in self.stretches if not s.backfilled],
            "backfilled": [s.as_dict() for s in self.stretches if s.backfilled],
        }
        if self.finding is not None:
            out["finding"] = vars(self.finding)
        return out


@dataclass(frozen=True)
class Anchor:
    """A chain link kept outside the system (from `audit head` or a checkpoint)."""

    position: int
    link: bytes


def tables(schema: str, application: str) -> tuple[Composed, Composed]:
    return (
        SQL("{0}.{1}").format(Identifier(schema), Identifier(f"{application}_events")),
        SQL("{0}.{1}").format(Identifier(schema), Identifier(f"{application}_chain")),
    )


class _Stretches:
    """Sorts checked positions into stretches, against the backfill's recorded ranges."""

    def __init__(self, backfills: list[tuple[int, int, datetime, str]]) -> None:
        self.backfills = backfills  # (first, last, chained_at, key_id) by first position
        self.next = 0
        self.stretches: list[Stretch] = []

    def add(self, position: int) -> None:
        while self.next < len(self.backfills) and self.backfills[self.next][1] < position:
            self.next += 1
        backfill = None
        if self.next < len(self.backfills) and self.backfills[self.next][0] <= position:
            backfill = self.backfills[self.next]
        last = self.stretches[-1] if self.stretches else None
        if (
            last is not None
            and last.backfilled == (backfill is not None)
            and (backfill is None or last.first_position >= backfill[0])
        ):
            last.last_position = position
            last.events += 1
        elif backfill is not None:
            self.stretches.append(Stretch(position, position, 1, True, backfill[2], backfill[3]))
        else:
            self.stretches.append(Stretch(position, position, 1, False))


def _stream(conn: psycopg.Connection[Any], query: Composed, name: str) -> Iterator[Any]:
    with conn.cursor(name=name) as cur:
        cur.itersize = 5000
        cur.execute(query)
        yield from cur


class _Walk:
    """One pass over both tables; ``run`` answers the verification."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        verifier: ChainVerifier,
        schema: str,
        application: str,
    ) -> None:
        self.conn = conn
        self.verifier = verifier
        self.events_table, self.chain_table = tables(schema, application)
        self.checked = 0
        self.head_position = 0
        self.head_link: bytes | None = None
        self.signed_position = 0
        backfill = SQL("{0}.{1}").format(
            Identifier(schema), Identifier(f"{application}_chain_backfill")
        )
        self.stretches = _Stretches(
            [
                (r[0], r[1], r[2], r[3])
                for r in conn.execute(
                    SQL(
                        "SELECT first_position, last_position, chained_at, key_id FROM {0}"
                        " ORDER BY first_position"
                    ).format(backfill)
                )
            ]
        )

    def result(self, finding: Finding | None = None) -> Verification:
        return Verification(
            finding is None,
            self.checked,
            self.head_position,
            self.head_link.hex() if self.head_link else None,
            finding,
            self.signed_position,
            self.stretches.stretches,
        )

    def run(self, anchor: Anchor | None) -> Verification:
        events = _stream(
            self.conn,
            SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state"
                " FROM {0} ORDER BY notification_id"
            ).format(self.events_table),
            "chain_events",
        )
        chain = _stream(
            self.conn,
            SQL(
                "SELECT position, originator_id, originator_version, digest, link, signature"
                " FROM {0} ORDER BY position"
            ).format(self.chain_table),
            "chain_links",
        )
        event, row = next(events, None), next(chain, None)
        previous, before_previous = GENESIS, GENESIS
        while event is not None or row is not None:
            if row is None or (event is not None and event[0] < row[0]):
                assert event is not None
                return self.result(self._unchained(event, row is None))
            if event is None or row[0] < event[0]:
                last = event is None and next(chain, None) is None
                detail = (
                    f"the last chained event (position {row[0]}) is missing from the log"
                    if last
                    else f"event at position {row[0]} is missing from the log"
                )
                return self.result(Finding("removed", row[0], row[1], row[2], detail))
            position, digest, link = row[0], bytes(row[3]), bytes(row[4])
            if link != link_of(previous, position, digest):
                upcoming = next(chain, None)
                return self.result(self._broken_link(row, previous, before_previous, upcoming))
            stored = digest_of(event[1], event[2], event[3], bytes(event[4]))
            if stored != digest:
                kind, detail = self._classify(row, position, stored)
                return self.result(Finding(kind, position, row[1], row[2], detail))
            if row[5] is not None:
                if not self.verifier.link_is_signed(position, link, bytes(row[5])):
                    return self.result(
                        Finding(
                            "forged",
                            position,
                            row[1],
                            row[2],
                            f"the signature at position {position} is not one of key "
                            f"{self.verifier.key_id}: the chain up to here was written without it",
                        )
                    )
                self.signed_position = position
            before_previous, previous = previous, link
            self.checked += 1
            self.stretches.add(position)
            self.head_position, self.head_link = position, link
            event, row = next(events, None), next(chain, None)
        if self.head_position > self.signed_position:
            first = self._first_after(self.signed_position)
            return self.result(
                Finding(
                    "forged",
                    first[0],
                    first[1],
                    first[2],
                    f"events from position {first[0]} to {self.head_position} carry no signature "
                    f"of key {self.verifier.key_id}: appended without the key",
                )
            )
        return self.result(self._against(anchor) if anchor else None)

    def _unchained(self, event: tuple[Any, ...], beyond: bool) -> Finding:
        if beyond:
            return Finding(
                "unchained",
                event[0],
                event[1],
                event[2],
                f"events stand beyond the chain (from position {event[0]}; the chain ends at "
                f"{self.head_position}): written around the recorder",
            )
        return Finding(
            "inserted",
            event[0],
            event[1],
            event[2],
            f"event at position {event[0]} was never part of the chain",
        )

    def _broken_link(
        self,
        row: tuple[Any, ...],
        previous: bytes,
        before_previous: bytes,
        upcoming: tuple[Any, ...] | None,
    ) -> Finding:
        position, digest, link = row[0], bytes(row[3]), bytes(row[4])
        if self.checked and link == link_of(before_previous, position, digest):
            return Finding(
                "inserted",
                self.head_position,
                None,
                None,
                f"position {self.head_position} and its link were slipped into the chain",
            )
        if upcoming is not None and bytes(upcoming[4]) == link_of(
            link, upcoming[0], bytes(upcoming[3])
        ):
            return Finding(
                "removed",
                self.head_position + 1,
                None,
                None,
                f"events and their links between positions {self.head_position} and {position} "
                "were removed",
            )
        return Finding(
            "chain-altered",
            position,
            row[1],
            row[2],
            f"the chain link at position {position} was changed",
        )

    def _classify(self, row: tuple[Any, ...], position: int, stored: bytes) -> tuple[str, str]:
        """Why the event at ``position`` is not the one the chain recorded there."""
        moved_to = None  # where the chained event is now, if it is intact
        found = self.conn.execute(
            SQL(
                "SELECT notification_id, topic, state FROM {0}"
                " WHERE originator_id = %s AND originator_version = %s"
            ).format(self.events_table),
            (row[1], row[2]),
        ).fetchone()
        if found is not None and digest_of(row[1], row[2], found[1], bytes(found[2])) == bytes(
            row[3]
        ):
            moved_to = found[0]
        chained = self.conn.execute(
            SQL("SELECT position FROM {0} WHERE digest = %s LIMIT 1").format(self.chain_table),
            (stored,),
        ).fetchone()
        chained_at = chained[0] if chained else None  # where the chain has the event now here
        if moved_to is not None and chained_at is not None:
            return "reordered", (
                f"position {position} holds the event chained at {chained_at}; "
                f"the event chained here is now at {moved_to}"
            )
        if moved_to is not None:
            return "inserted", (
                f"an event that was never chained stands at position {position}; "
                f"the chained one was pushed to {moved_to}"
            )
        if chained_at is not None:
            return "removed", (
                f"the event chained at position {position} is gone; later events were moved up"
            )
        return "altered", f"the event at position {position} differs from what was chained"

    def _first_after(self, position: int) -> tuple[Any, ...]:
        row = self.conn.execute(
            SQL(
                "SELECT position, originator_id, originator_version FROM {0}"
                " WHERE position > %s ORDER BY position LIMIT 1"
            ).format(self.chain_table),
            (position,),
        ).fetchone()
        assert row is not None
        return tuple(row)

    def _against(self, anchor: Anchor) -> Finding | None:
        if anchor.position > self.head_position:
            return Finding(
                "removed",
                self.head_position + 1,
                None,
                None,
                f"the kept anchor covers position {anchor.position} but the log ends at "
                f"{self.head_position}: the last events were deleted",
            )
        found = self.conn.execute(
            SQL("SELECT link FROM {0} WHERE position = %s").format(self.chain_table),
            (anchor.position,),
        ).fetchone()
        if found is None or bytes(found[0]) != anchor.link:
            return Finding(
                "forged",
                anchor.position,
                None,
                None,
                f"the chain no longer holds the kept link at position {anchor.position}: "
                "history up to there was rewritten",
            )
        return None


def verify(
    conninfo: str,
    verifier: ChainVerifier,
    schema: str = "public",
    application: str = "jointcase",
    anchor: Anchor | None = None,
) -> Verification:
    """Checks the whole log against its chain (one snapshot; nothing else is read)."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            return _Walk(conn, verifier, schema, application).run(anchor)
        finally:
            conn.rollback()
