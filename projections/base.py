"""The base of every read model.

A view subclasses the library's ``PostgresTrackingRecorder``: its rows and its tracking position
commit in one transaction, so each event is applied exactly once. A projection subclasses the
library's ``Projection``; ``process_event`` works with the library's ``ProjectionRunner``, but the
worker uses ``BatchRunner`` (below), which applies a page of events per transaction instead of
one, and checks that each batch starts exactly where the view's position stands, so two
processes can never apply the same event twice even when they race."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any, ClassVar, NamedTuple

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    Tracking,
)
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg.sql import SQL, Identifier

from projections.search_text import count_cap, counted
from service.app import JointCaseApp

log = logging.getLogger("jointcase.projections")
#: How many views apply a page at the same time (each holds a connection of the views' pool while
#: it does; the small views wait their turn).
PARALLEL_VIEWS = 4
#: What the database raises while it cannot be reached (a failover, a network cut).
UNREACHABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


class Item(NamedTuple):
    """One event of a batch: the decoded event, its tracking position and the stored record."""

    event: Any
    tracking: Tracking
    notification: Notification


Batch = Sequence[Item]


def clean(params: Sequence[Any]) -> tuple[Any, ...]:
    """PostgreSQL text cannot hold U+0000: replace it, so one such character never stops a view.
    (Most rows hold none and no str subclass: looked through once, rebuilt only if needed.)"""
    for p in params:
        if isinstance(p, str) and (type(p) is not str or "\x00" in p):
            return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) else p for p in params)
    return params if type(params) is tuple else tuple(params)


def text_array(values: Iterable[str]) -> str:
    """A PostgreSQL array literal of the texts, for a ``text[]`` column written by COPY as text
    (the driver's list adaptation looks through every list for its element type)."""
    return (
        "{"
        + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        + "}"
    )


class StaleBatch(Exception):
    """The view's position moved since the batch was read (another process applied it)."""


class View(PostgresTrackingRecorder):
    """A read model's tables, kept in step with the event log."""

    name: ClassVar[str]
    #: Tables emptied by a rebuild (besides the tracking row).
    tables: ClassVar[tuple[str, ...]] = ()
    ddl: ClassVar[tuple[str, ...]] = ()
    #: Indexes (created in ``ddl``) that only the view's queries read, never its ``apply``: a
    #: rebuild from zero drops them and builds each once at the end, instead of keeping them up
    #: to date row by row.
    query_indexes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        kwargs["tracking_table_name"] = f"{self.name}_tracking"
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.extend(
            SQL(statement.replace("{", "{{").replace("}", "}}")).format() for statement in self.ddl
        )
        self._seed_sql = SQL(
            "INSERT INTO {0}.{1} (application_name, notification_id) VALUES (%s, 0)"
            " ON CONFLICT DO NOTHING"
        ).format(Identifier(self.datastore.schema), Identifier(self.tracking_table_name))
        #: Set during a rebuild from zero: the view's transactions then do not wait for their
        #: commit to reach the disk (a crash loses the last few, rows and position together,
        #: and the view carries on from the position that did).
        self.rebuilding = False
        self._position_sql = SQL(
            "SELECT notification_id FROM {0}.{1} WHERE application_name = %s FOR UPDATE"
        ).format(Identifier(self.datastore.schema), Identifier(self.tracking_table_name))

    # --- writing ---------------------------------------------------------------------------------
    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        """Writes the rows for a batch of events (in log order) with the given cursor."""
        raise NotImplementedError

    def process(self, batch: Batch, after: int) -> None:
        """Applies the batch in one transaction with its tracking position. ``after`` is the
        position the batch was read from; if the view moved since, nothing is applied."""
        if not batch:
            return
        application = batch[-1].tracking.application_name
        try:
            with self.datastore.transaction(commit=True) as curs:
                if self.rebuilding:
                    curs.execute("SET LOCAL synchronous_commit = off")
                curs.execute(self._position_sql, (application,))
                row = curs.fetchone()
                if row is None:  # first batch ever: make the row to lock, then lock it
                    curs.execute(self._seed_sql, (application,))
                    curs.execute(self._position_sql, (application,))
                    row = curs.fetchone()
                current = (row["notification_id"] if row else None) or 0
                if current != after:
                    raise StaleBatch(f"{self.name}: view is at {current}, batch read after {after}")
                self.apply(curs, batch)
                self._insert_tracking(curs, batch[-1].tracking)
        except (IntegrityError, psycopg.errors.UniqueViolation) as e:
            raise StaleBatch(f"{self.name}: another process applied these events ({e})") from e

    def position(self, application_name: str = JointCaseApp.name) -> int:
        return self.max_tracking_id(application_name) or 0

    # --- rebuilding ------------------------------------------------------------------------------
    def reset(self, application_name: str = JointCaseApp.name) -> None:
        """Empties the view and sets its position back to zero, in one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._position_sql, (application_name,))
            for table in self.tables:
                curs.execute(
                    SQL("TRUNCATE {0}.{1}").format(
                        Identifier(self.datastore.schema), Identifier(table)
                    )
                )
            curs.execute(
                SQL("DELETE FROM {0}.{1} WHERE application_name = %s").format(
                    Identifier(self.datastore.schema), Identifier(self.tracking_table_name)
                ),
                (application_name,),
            )

    def finish_rebuild(self, application_name: str) -> None:
        """Work a rebuild leaves to its end (none unless the view says so)."""

    def compact(self, table: str, index: str) -> None:
        """Rewrites a table in the order of one of its indexes (made first if it is a query
        index a rebuild has dropped), without the dead row versions a rebuild leaves: each
        batch that updates a row (a case's seizure totals, a lead's version) writes a new
        version of it on another page, so a table rebuilt from the log spreads its rows over
        several times their size, and a query that reads many rows (a search's matches) reads
        a page for nearly each. Locks the table for the rewrite (a second or two for tens of
        thousands of rows, more with its indexes)."""
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.ddl:
                if f"INDEX IF NOT EXISTS {index} " in statement:
                    curs.execute(statement)
            curs.execute(
                SQL("CLUSTER {0}.{1} USING {2}").format(
                    Identifier(self.datastore.schema), Identifier(table), Identifier(index)
                )
            )

    def query_index_statements(self) -> list[str]:
        """The ``ddl`` statements that create the query indexes, one per index."""
        found = []
        for name in self.query_indexes:
            made = [s for s in self.ddl if f"INDEX IF NOT EXISTS {name} " in s]
            if len(made) != 1:
                raise ValueError(f"{self.name}: query index {name} is created {len(made)} times")
            found.append(made[0])
        return found

    def drop_query_indexes(self) -> None:
        self.query_index_statements()  # each can be made again: checked before any is dropped
        with self.datastore.transaction(commit=True) as curs:
            for name in self.query_indexes:
                curs.execute(
                    SQL("DROP INDEX IF EXISTS {0}.{1}").format(
                        Identifier(self.datastore.schema), Identifier(name)
                    )
                )

    def create_query_indexes(self) -> None:
        """Builds the query indexes (those there already are left as they are), then vacuums
        the view's tables, which a rebuild has just filled: this marks their pages all-visible,
        without which an index-only scan (a bulletin's sums, a search's count) reads the row of
        every index entry and the planner prefers other plans, until autovacuum gets to them;
        and gathers the planner's statistics."""
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.query_index_statements():
                curs.execute(statement)
        with self.datastore.get_connection() as conn:  # in autocommit: VACUUM needs it
            for table in self.tables:
                conn.execute(
                    SQL("VACUUM (ANALYZE) {0}.{1}").format(
                        Identifier(self.datastore.schema), Identifier(table)
                    )
                )

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql, params)
            return list(curs.fetchall())  # rows are dicts (the datastore's row factory)

    @contextmanager
    def reading(self, *, matches: bool = False) -> Iterator[Reading]:
        """The statements of one read (a search's ranked page, its count, a page of the newest)
        on one connection: one checkout and one liveness check instead of one per statement.
        ``matches``: the read is of a search table's rows of one reader (``Reading``)."""
        with self.datastore.get_connection() as conn:
            yield Reading(conn, matches=matches)

    def page(
        self, table: str, columns: str, condition: str, order: str, params: dict[str, Any]
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of a list: the rows of ``table`` matching ``condition`` in ``order`` (ending
        with the key, so that pages neither overlap nor leave a gap), ``params`` with ``limit``
        and ``offset``; and how many match, counted as the case and lead lists count them: up
        to the cap of a list without free text, plus one when more match
        (``search_text.count_cap`` and ``counted``)."""
        with self.reading() as read:
            return counted(
                read,
                f"SELECT {columns} FROM {table} WHERE {condition}"
                f" ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s",
                table,
                condition,
                params,
                count_cap(None),
            )


class Reading:
    """Queries on one connection, each planned for its own values. PostgreSQL would otherwise
    settle, after five runs of a prepared statement, on a generic plan made without the values,
    which guesses the same number of matches for every term and every county; for a term
    nearly every row holds it intersected the text's bitmap of every row with the county's and
    ran at half the speed (bench/README.md, search). So each statement runs prepared (parsed
    and analysed once per connection: for a search, about a millisecond of the server's time)
    with ``plan_cache_mode`` set to ``force_custom_plan`` (planned again for each run's values:
    a fraction of a millisecond).

    A read of ``matches`` (a search table's rows of one reader, ``search_text.ReaderText``)
    never scans the whole table: guessing that a term most rows hold is met early, the planner
    chose a scan that stops after the cap, but one reader's rows lie together, so it read every
    other reader's first (80 ms against 7 for 假烟, ``EXPLAIN ANALYZE``)."""

    def __init__(self, conn: psycopg.Connection[Any], *, matches: bool = False) -> None:
        self.conn = conn
        settings = [("plan_cache_mode", "force_custom_plan")]
        if matches:
            settings.append(("enable_seqscan", "off"))
        self._settings = "SELECT " + ", ".join(
            f"set_config('{name}', '{value}', true)" for name, value in settings
        )

    def rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows of one statement (``together``)."""
        return self.together([sql], params)[0]

    def together(self, statements: Sequence[str], params: dict[str, Any]) -> list[list[Any]]:
        """The rows of each statement (``params`` for all), with the reading's settings for them
        alone: sent in one pipeline, so that they run in the one implicit transaction that
        PostgreSQL gives the statements before a sync (the connections are in autocommit): one
        round trip, one snapshot (a page and its count agree), and the settings end with them,
        nothing left on the connection."""
        assert self.conn.autocommit
        with ExitStack() as stack:
            setting = stack.enter_context(self.conn.cursor())
            cursors = [stack.enter_context(self.conn.cursor()) for _ in statements]
            with self.conn.pipeline():
                setting.execute(self._settings, prepare=True)
                for curs, sql in zip(cursors, statements, strict=True):
                    curs.execute(sql, params, prepare=True)
            return [list(curs.fetchall()) for curs in cursors]  # dicts: the datastore's rows


class BatchProjection(Projection[View]):
    """A projection whose work is done by its view in batches."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """One event at a time, for the library's ProjectionRunner (which does not pass the
        stored record the audit chain hashes, so it is read back here)."""
        table = f"{tracking.application_name}_events"
        with self.view.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM {0}.{1} WHERE notification_id = %s"
                ).format(Identifier(self.view.datastore.schema), Identifier(table)),
                (tracking.notification_id,),
            )
            row = curs.fetchone()
        assert row is not None
        notification = Notification(
            id=row["notification_id"],
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        item = Item(domain_event, tracking, notification)
        self.view.process([item], after=self.view.position(tracking.application_name))


class BatchRunner:
    """Keeps a set of views up to date with the event log: reads a page of notifications once,
    decodes it once, and gives each view the part it has not applied yet, in one transaction
    per view. Woken by the library's LISTEN/NOTIFY, with a polling fallback."""

    def __init__(
        self,
        app: JointCaseApp,
        views: Iterable[View],
        *,
        page_size: int = 1000,
        idle_wait: float = 1.0,
    ) -> None:
        self.app = app
        self.views = list(views)
        self.page_size = page_size
        self.idle_wait = idle_wait
        self.stopping = threading.Event()
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(len(self.views), PARALLEL_VIEWS)), thread_name_prefix="view"
        )
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")

    # --- one pass --------------------------------------------------------------------------------
    def _read(self, start: int, until: int | None) -> list[Item]:
        """A page of the log after ``start``, decoded."""
        name = self.app.name
        notifications = self.app.recorder.select_notifications(
            start=start, limit=self.page_size, stop=until, inclusive_of_start=False
        )
        return [
            Item(self.app.mapper.to_domain_event(n), Tracking(name, n.id), n) for n in notifications
        ]

    def catch_up(
        self,
        until: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Applies everything recorded so far (or up to ``until``); returns events applied.

        The next page is read and decoded in a thread of its own while the views apply this
        one (reading and decoding is Python work, the views mostly wait for the database), and
        used if the views reached where it starts (they have, unless one moved under us)."""
        name = self.app.name
        positions = {view.name: view.position(name) for view in self.views}
        applied = 0
        ahead: tuple[int, Future[list[Item]]] | None = None
        try:
            while not self.stopping.is_set():
                start = min(positions.values())
                if until is not None and start >= until:
                    break
                if ahead is not None and ahead[0] == start:
                    page = ahead[1].result()
                else:
                    page = self._read(start, until)
                ahead = None
                if not page:
                    break
                reached = page[-1].tracking.notification_id
                if until is None or reached < until:
                    ahead = (reached, self._reader.submit(self._read, reached, until))
                # The views are independent: each applies its part in its own transaction, in
                # parallel, so one view's database time overlaps another's Python time.
                results = list(
                    self._pool.map(
                        self._apply,
                        self.views,
                        [page] * len(self.views),
                        [positions] * len(self.views),
                    )
                )
                for view, position in zip(self.views, results, strict=True):
                    positions[view.name] = position
                applied += len(page)
                if progress is not None:
                    progress(len(page))
        finally:
            if ahead is not None and not ahead[1].cancel():
                ahead[1].exception()  # let it finish; what it read (or met) is not needed
        return applied

    def rebuild(
        self,
        until: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Empties the views and applies the log again from position zero (or up to
        ``until``); returns events applied. Indexes only queries read are dropped first and
        built once at the end (also when the rebuild stops half way), and the views' commits
        do not wait for the disk meanwhile."""
        for view in self.views:
            view.reset(self.app.name)
            view.drop_query_indexes()
            view.rebuilding = True
        try:
            return self.catch_up(until, progress)
        finally:
            for view in self.views:
                view.rebuilding = False
                view.finish_rebuild(self.app.name)
                view.create_query_indexes()

    def _apply(self, view: View, decoded: list[Item], positions: dict[str, int]) -> int:
        """Applies the part of the page the view has not seen; returns its new position."""
        after = positions[view.name]
        if decoded[0].tracking.notification_id > after:
            batch = decoded
        else:
            batch = [item for item in decoded if item.tracking.notification_id > after]
        if not batch:
            return after
        try:
            view.process(batch, after)
        except StaleBatch:
            log.warning("%s moved under us; re-reading its position", view.name)
            return view.position(self.app.name)
        return batch[-1].tracking.notification_id

    # --- running ---------------------------------------------------------------------------------
    def run_forever(self) -> None:
        """Catches up, then waits for new events until stopped."""
        datastore = self.app.recorder.datastore  # type: ignore[attr-defined]
        channel = self.app.recorder.channel_name  # type: ignore[attr-defined]
        while not self.stopping.is_set():
            try:
                with datastore.get_connection() as conn:
                    conn.autocommit = True
                    conn.execute(SQL("LISTEN {0}").format(Identifier(channel)))
                    while not self.stopping.is_set():
                        self.catch_up()
                        for _ in conn.notifies(timeout=self.idle_wait, stop_after=1):
                            break
            except UNREACHABLE as e:
                # The database went away (a failover): connect again, to the new leader, and
                # carry on from each view's own recorded position (nothing missed or repeated:
                # a view's rows and its position commit together).
                log.warning("database unavailable, reconnecting: %s", e)
                self.stopping.wait(1.0)

    def start(self) -> BatchRunner:
        def target() -> None:
            try:
                self.run_forever()
            except BaseException as e:  # surfaced by check() / stop()
                self.error = e
                log.exception("projection runner stopped")

        self._thread = threading.Thread(target=target, name="projections", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=False)
        self._reader.shutdown(wait=False)

    def wait(self, position: int, timeout: float) -> bool:
        """True once every view has applied the log up to ``position``."""
        deadline = time.monotonic() + timeout
        pause = 0.005
        while True:
            if all(view.position() >= position for view in self.views):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
