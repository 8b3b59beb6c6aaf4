"""The log's signed chain covers an evidence file: the event that attaches it records its hash,
so swapping the hash in the stored event (to point the record at other content) is caught by
verification, which names the event."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import psycopg

from domain.case import Case
from domain.values import Actor, Context, Role
from jointcase.evidence_store import PostgresContent
from jointcase.storage import chain_signer, open_pool
from projections.chain import verify
from service.evidence import StagedFile
from tests.projections.conftest import Store

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 500


def test_swapping_a_files_hash_in_the_log_is_caught_by_verification(store: Store) -> None:
    content = PostgresContent(open_pool(store.db))
    try:
        store.app.connect_evidence(content, store.settings.evidence_policy())
        ctx = Context(Actor("o1", "140221", Role.OFFICER), datetime.now(UTC), "chain-test")
        case = store.app.open_case(ctx, case_type="counterfeit", title="chain")
        digest = hashlib.sha256(JPEG).hexdigest()
        staged = StagedFile(digest, len(JPEG), "image/jpeg", "a.jpg", lambda: io.BytesIO(JPEG))
        written = store.app.attach_evidence(Case, case.id, ctx, staged)
        signer = chain_signer(store.settings, store.db)
        assert verify(store.db.conninfo(), signer.verifier).ok

        other = hashlib.sha256(b"other content").hexdigest()
        with psycopg.connect(store.db.conninfo()) as conn:
            conn.execute(
                "UPDATE jointcase_events SET state = convert_to(replace("
                "convert_from(state, 'UTF8'), %s, %s), 'UTF8') WHERE notification_id = %s",
                (digest, other, written.position),
            )
        check = verify(store.db.conninfo(), signer.verifier)
        assert not check.ok
        assert check.finding is not None
        assert check.finding.kind == "altered" and check.finding.position == written.position
    finally:
        content.close()
