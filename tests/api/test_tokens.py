"""Officers' tokens expire and rotate; rotating keeps the officer (the person every event and
every separation of duties names); and no setting, repr or error shows the database password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jointcase.settings import Settings
from jointcase.storage import ConfigurationError, resolve_database
from tests.api.conftest import XINGHE, Api
from tests.api.world import assert_problem


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_officer_rotates_their_own_token_and_stays_the_same_officer(api: Api) -> None:
    officer, old = api.services.officers.add(XINGHE, "officer", "token rotation")
    lead = {"summary": "before rotating", "source": "online", "place_county": XINGHE}
    before = api.client.post("/v1/leads", json=lead, headers=bearer(old))
    assert before.status_code == 201, before.text
    rotated = api.client.post("/v1/officers/me/token", headers=bearer(old))
    assert rotated.status_code == 201, rotated.text
    body = rotated.json()
    new = body["token"]
    assert body["officer_id"] == officer.officer_id and new != old
    issued = datetime.fromisoformat(body["issued_at"])
    assert datetime.fromisoformat(body["expires_at"]) - issued == timedelta(days=90)
    assert_problem(api.client.get("/v1/workspace", headers=bearer(old)), 401, "not-authenticated")
    after = api.client.post("/v1/leads", json={**lead, "summary": "after"}, headers=bearer(new))
    assert after.status_code == 201, after.text
    actors = [
        api.client.get(f"/v1/leads/{r.json()['id']}", headers=bearer(new)).json()["registered_by"]
        for r in (before, after)
    ]
    assert actors[0] == actors[1] and actors[0]["officer_id"] == officer.officer_id


def test_a_token_expires_after_the_token_lifetime(api: Api) -> None:
    officers = api.services.officers
    officer, token = officers.add(XINGHE, "officer", "token expiry")
    now = datetime.now(UTC)
    assert officers.authenticate(token, now + timedelta(days=89)) is not None
    assert officers.authenticate(token, now + timedelta(days=91)) is None
    with officers.pool.connection() as conn:
        conn.execute(
            "UPDATE jointcase_officers SET token_issued_at = %s WHERE officer_id = %s",
            (now - timedelta(days=91), officer.officer_id),
        )
    officers.await_caches()  # a hand edit is announced too; this waits until it is heard
    assert_problem(api.client.get("/v1/workspace", headers=bearer(token)), 401, "not-authenticated")
    _, fresh = officers.rotate(officer.officer_id)  # what `jointcase officers rotate ID` does
    assert api.client.get("/v1/workspace", headers=bearer(fresh)).status_code == 200


def test_a_revoked_officer_cannot_rotate(api: Api) -> None:
    officers = api.services.officers
    officer, token = officers.add(XINGHE, "officer", "revoked")
    officers.revoke(officer.officer_id)
    assert_problem(
        api.client.post("/v1/officers/me/token", headers=bearer(token)), 401, "not-authenticated"
    )


def test_no_repr_shows_the_database_password() -> None:
    settings = Settings(database_url="postgresql://jc:s3cret-pw@db.example:5432/jointcase")
    db = resolve_database(settings)
    assert db.password == "s3cret-pw"
    for text in (repr(settings), str(settings), repr(db), str(db)):
        assert "s3cret-pw" not in text
    by_parts = Settings(postgres_host="db", postgres_user="jc", postgres_password="s3cret-pw")
    assert "s3cret-pw" not in repr(by_parts)


def test_an_invalid_database_url_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigurationError) as refused:
        resolve_database(Settings(database_url="postgresql://jc:s3cret-pw@db:notaport/x y=z"))
    assert "s3cret-pw" not in str(refused.value)
