"""The application recorder that chains and signs the log as it is written.

A subclass of the library's ``PostgresApplicationRecorder``: in the transaction that inserts the
events, while it holds the events table lock (so positions are serial), it reads the last link,
computes one link per new event (``domain.chain``) and inserts them into the chain table, the
last one signed. The chain table sits next to the events table: ``{app}_chain``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.chain import GENESIS, ChainSigner, digest_of, link_of


def chain_table_name(events_table_name: str) -> str:
    return events_table_name.removesuffix("_events") + "_chain"


class ChainedRecorder(PostgresApplicationRecorder):
    """Records events, their chain links and a signature, in one transaction."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            raise ProgrammingError("the chained recorder inserts under the table lock only")
        self.signer: ChainSigner | None = None
        self._pending = threading.local()  # the cursor of this thread's last-link query
        self._chain_started = False
        self.chain_table_name = chain_table_name(events_table_name)
        self.check_identifier_length(self.chain_table_name)
        chain = SQL("{0}.{1}").format(
            Identifier(datastore.schema), Identifier(self.chain_table_name)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                "position bigint PRIMARY KEY, "
                "originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, "
                "digest bytea NOT NULL, "
                "link bytea NOT NULL, "
                "signature bytea)"
            ).format(chain)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                "first_position bigint PRIMARY KEY, "
                "last_position bigint NOT NULL, "
                "chained_at timestamptz NOT NULL DEFAULT now(), "
                "key_id text NOT NULL)"
            ).format(
                SQL("{0}.{1}").format(
                    Identifier(datastore.schema), Identifier(self.chain_table_name + "_backfill")
                )
            )
        )
        self.sql_started = SQL(
            "SELECT EXISTS (SELECT 1 FROM {0}) AS chained, EXISTS (SELECT 1 FROM {1}) AS written"
        ).format(
            chain,
            SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(events_table_name)),
        )
        self.sql_last_link = SQL("SELECT link FROM {0} ORDER BY position DESC LIMIT 1").format(
            chain
        )
        self.sql_position_of = SQL(
            "SELECT notification_id FROM {0}.{1} WHERE originator_id = %s "
            "AND originator_version = %s"
        ).format(Identifier(datastore.schema), Identifier(events_table_name))
        self.sql_insert_links = SQL(
            "INSERT INTO {0} (position, originator_id, originator_version, digest, link,"
            " signature) SELECT * FROM unnest(%s::bigint[], %s::uuid[], %s::bigint[],"
            " %s::bytea[], %s::bytea[], %s::bytea[])"
        ).format(chain)

    def sign_with(self, signer: ChainSigner) -> None:
        self.signer = signer

    def position_of(self, originator_id: Any, originator_version: int) -> int | None:
        """The log position of one stored event, or None if it is not recorded (a write asks
        after its connection broke whether its commit happened)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql_position_of, (originator_id, originator_version))
            row = curs.fetchone()
        return int(row["notification_id"]) if row else None

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """Refusals come here, before the insert: an error raised after it would not stop the
        library's pipeline from committing."""
        if stored_events and self.signer is None:
            raise ProgrammingError("the chain signing key was not given to the recorder")
        if stored_events and not self._chain_started:
            # A chain starts with the log: a log written before the chain is chained (and
            # signed) by `jointcase db init` first. Checked until this process sees a chain.
            curs.execute(self.sql_started)
            row = curs.fetchone()
            assert row is not None
            if row["written"] and not row["chained"]:
                raise ProgrammingError(
                    "the log holds events written before the chain: run `jointcase db init` "
                    "(it chains and signs them) before writing"
                )
            self._chain_started = bool(row["chained"])
        super()._insert_events(curs, stored_events, **kwargs)

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        # Under the table lock and before the insert: ask for the last link now, so that its
        # answer comes back with the insert's (one round trip in the library's pipeline).
        super()._notify_channel(curs)
        last_link = curs.connection.cursor()
        last_link.execute(self.sql_last_link, prepare=True)
        self._pending.cursor = last_link

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        try:
            self._chain(curs, ids, stored_events)
        except BaseException:
            # The library's pipeline commits unless the server's transaction failed: fail it.
            curs.execute("DO $$ BEGIN RAISE EXCEPTION 'the chain could not be written'; END $$")
            raise
        return ids

    def _chain(
        self, curs: Cursor[DictRow], ids: Sequence[int] | None, stored_events: Sequence[StoredEvent]
    ) -> None:
        assert ids is not None and len(ids) == len(stored_events)
        assert self.signer is not None
        # The events table is locked by this transaction: no one else can chain now.
        with self._pending.cursor as last_link:
            row = last_link.fetchone()
        self._pending.cursor = None
        previous = bytes(row["link"]) if row else GENESIS
        digests, links = [], []
        for position, event in zip(ids, stored_events, strict=True):
            digest = digest_of(
                event.originator_id, event.originator_version, event.topic, event.state
            )
            previous = link_of(previous, position, digest)
            digests.append(digest)
            links.append(previous)
        signatures: list[bytes | None] = [None] * len(ids)
        signatures[-1] = self.signer.sign_link(ids[-1], links[-1])
        curs.execute(
            self.sql_insert_links,
            (
                list(ids),
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                digests,
                links,
                signatures,
            ),
            prepare=True,
        )


def chain_existing(
    conninfo: str, signer: ChainSigner, schema: str = "public", application: str = "jointcase"
) -> tuple[int, int] | None:
    """Chains and signs the events written before the chain (or around it, in an older
    version), in one transaction under the events table lock, and records the range so that
    one can tell events chained later from events chained when written. Answers the range."""
    events = SQL("{0}.{1}").format(Identifier(schema), Identifier(f"{application}_events"))
    name = chain_table_name(f"{application}_events")
    chain = SQL("{0}.{1}").format(Identifier(schema), Identifier(name))
    backfill = SQL("{0}.{1}").format(Identifier(schema), Identifier(name + "_backfill"))
    with psycopg.connect(conninfo) as conn:
        conn.execute(SQL("LOCK TABLE {0} IN EXCLUSIVE MODE").format(events))
        row = conn.execute(
            SQL("SELECT position, link FROM {0} ORDER BY position DESC LIMIT 1").format(chain)
        ).fetchone()
        after, previous = (row[0], bytes(row[1])) if row else (0, GENESIS)
        first = last = None
        page = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT 5000"
        ).format(events)
        copy_sql = SQL(
            "COPY {0} (position, originator_id, originator_version, digest, link) FROM STDIN"
        ).format(chain)
        while rows := conn.execute(page, (after,)).fetchall():
            with conn.cursor().copy(copy_sql) as copy:
                for position, originator_id, version, topic, state in rows:
                    digest = digest_of(originator_id, version, topic, bytes(state))
                    previous = link_of(previous, position, digest)
                    copy.write_row((position, originator_id, version, digest, previous))
            first = first or rows[0][0]
            last = after = rows[-1][0]
        if first is None or last is None:
            return None
        conn.execute(
            SQL("UPDATE {0} SET signature = %s WHERE position = %s").format(chain),
            (signer.sign_link(last, previous), last),
        )
        conn.execute(
            SQL(
                "INSERT INTO {0} (first_position, last_position, key_id) VALUES (%s, %s, %s)"
            ).format(backfill),
            (first, last, signer.verifier.key_id),
        )
        conn.commit()
    return first, last
