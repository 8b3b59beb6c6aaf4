"""The library's own recorder test cases, run against the project's chained recorder: chaining
and signing change nothing the library promises (positions, conflicts, non-interleaving)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import ClassVar

import psycopg
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)
from psycopg.conninfo import conninfo_to_dict

from domain.chain import GENESIS, ChainSigner, link_of
from jointcase.chain import ChainedRecorder
from tests.pg import scratch_database


class _ChainedRecorderCase:
    """A scratch database per class; fresh tables per test; the chain checked after each."""

    _stack: ClassVar[ExitStack]
    _url: ClassVar[str]

    @classmethod
    def setUpClass(cls) -> None:
        cls._stack = ExitStack()
        settings = cls._stack.enter_context(scratch_database("jointcase_recorder"))
        assert settings.database_url is not None
        cls._url = settings.database_url

    @classmethod
    def tearDownClass(cls) -> None:
        cls._stack.close()

    def setUp(self) -> None:
        self.datastores: list[PostgresDatastore] = []
        self.signer = ChainSigner(bytes(range(32)))
        with psycopg.connect(self._url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS stored_events, stored_chain")

    def tearDown(self) -> None:
        for datastore in self.datastores:
            datastore.close()

    def create_recorder(self) -> ChainedRecorder:
        info = conninfo_to_dict(self._url)
        datastore = PostgresDatastore(
            dbname=str(info["dbname"]),
            host=str(info.get("host", "127.0.0.1")),
            port=str(info.get("port", "5432")),
            user=str(info.get("user", "postgres")),
            password=str(info.get("password", "")),
            pool_size=4,
            max_overflow=8,
            lock_timeout=30,
        )
        self.datastores.append(datastore)
        recorder = ChainedRecorder(datastore, events_table_name="stored_events")
        recorder.create_table()
        recorder.sign_with(self.signer)
        return recorder

    def assert_chain_covers_every_event(self) -> None:
        with psycopg.connect(self._url) as conn:
            events = conn.execute("SELECT notification_id FROM stored_events ORDER BY 1").fetchall()
            rows = conn.execute(
                "SELECT position, digest, link, signature FROM stored_chain ORDER BY position"
            ).fetchall()
        assert [r[0] for r in rows] == [e[0] for e in events]
        previous = GENESIS
        for position, digest, link, signature in rows:
            previous = link_of(previous, position, bytes(digest))
            assert bytes(link) == previous
            if signature is not None:
                assert self.signer.verifier.link_is_signed(position, previous, bytes(signature))
        if rows:
            assert rows[-1][3] is not None


class TestChainedApplicationRecorder(_ChainedRecorderCase, ApplicationRecorderTestCase):  # type: ignore[misc]
    def test_insert_select(self) -> None:
        super().test_insert_select()
        self.assert_chain_covers_every_event()

    def test_concurrent_no_conflicts(self, initial_position: int = 0) -> None:
        super().test_concurrent_no_conflicts(initial_position)
        self.assert_chain_covers_every_event()


class TestChainedRecorderNonInterleaving(  # type: ignore[misc]
    _ChainedRecorderCase, NonInterleavingNotificationIDsBaseCase
):
    def test(self) -> None:
        super().test()
        self.assert_chain_covers_every_event()
