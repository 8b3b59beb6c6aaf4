"""The auditors' proof routes: public key, signed checkpoint, inclusion and consistency proofs,
each of which checks offline; the others get 403, unknown checkpoints 404."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from domain.chain import ChainVerifier
from jointcase.checkpoints import Checkpoint, Checkpoints, check_consistency, check_inclusion
from jointcase.storage import chain_signer, resolve_database
from tests.api.world import XINGHE, YANGGAO, World, assert_problem, make_world


@pytest.fixture(scope="module")
def live() -> Iterator[World]:
    yield from make_world()


def issue(w: World) -> None:
    settings = w.services.settings
    db = resolve_database(settings)
    Checkpoints(db.conninfo()).issue(chain_signer(settings, db), datetime.now(UTC))


def lead(w: World) -> int:
    body = {"summary": "s", "source": "online", "place_county": XINGHE}
    return int(w.post(XINGHE, "/v1/leads", body).json()["position"])


def test_proofs_over_http_check_offline(live: World) -> None:
    assert_problem(live.get("auditor", "/v1/audit/checkpoint", tree_size=10**9), 404, "not-found")
    position = lead(live)
    issue(live)
    first = Checkpoint.from_dict(live.get("auditor", "/v1/audit/checkpoint").json())
    lead(live)
    issue(live)
    second = Checkpoint.from_dict(live.get("auditor", "/v1/audit/checkpoint").json())
    key = live.get("auditor", "/v1/audit/public-key").json()
    verifier = ChainVerifier.from_text(key["public_key"])
    assert key["key_id"] == verifier.key_id
    proof = live.get("auditor", "/v1/audit/proofs/inclusion", position=position)
    assert proof.status_code == 200, proof.text
    check_inclusion(proof.json(), second, verifier)
    consistent = live.get("auditor", "/v1/audit/proofs/consistency", first=first.tree_size)
    assert consistent.status_code == 200, consistent.text
    check_consistency(consistent.json(), first, second, verifier)
    for path in ("/v1/audit/checkpoint", "/v1/audit/public-key"):
        assert_problem(live.get(YANGGAO, path), 403, "permission-denied")
    # the checkpoints and proofs tell how many events every county recorded: auditors only
    for path, params in (
        ("/v1/audit/checkpoint", {}),
        ("/v1/audit/proofs/inclusion", {"position": position}),
        ("/v1/audit/proofs/consistency", {"first": first.tree_size}),
    ):
        assert_problem(live.get("admin", path, **params), 403, "permission-denied")
