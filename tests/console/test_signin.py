"""Signing in to the console: passwords, cookies, CSRF, throttling, TOTP, sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from jointcase.signin import SignInRefused, TooManyAttempts
from tests.console.conftest import (
    PASSWORD,
    TIANZHEN,
    YANGGAO,
    csrf_of,
    new_client,
    sign_in,
)


def test_a_page_without_a_session_goes_to_the_sign_in_page(console_app, people):
    client = new_client(console_app)
    answer = client.get("/workspace")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2Fworkspace")
    login = client.get("/login")
    assert login.status_code == 200
    assert "登录" in login.text  # zh-CN by default


def test_signing_in_sets_an_httponly_lax_session_cookie_and_opens_the_workspace(
    console_app, people
):
    client = new_client(console_app)
    answer = sign_in(client, people["officer", YANGGAO])
    assert answer.status_code == 303
    assert answer.headers["location"] == "/workspace"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("jc_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = client.get("/workspace")
    assert page.status_code == 200
    assert "阳高县" in page.text


def test_the_session_cookie_is_secure_behind_https(console_app, people):
    client = new_client(console_app)
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "csrf": csrf_of(page.text),
            "login": people["officer", YANGGAO].login,
            "password": PASSWORD,
        },
        headers={"X-Forwarded-Proto": "https"},
    )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("jc_session="))
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_and_recorded(console_app, console_services, people):
    person = people["officer", TIANZHEN]
    before = console_services.signins.failures(person.login)
    client = new_client(console_app)
    answer = sign_in(client, person, password="not the password")
    assert answer.status_code == 401
    assert "不正确" in answer.text
    assert console_services.signins.failures(person.login) == before + 1
    assert client.get("/workspace").status_code == 303


def test_repeated_failures_make_the_next_attempt_wait_even_with_the_right_password(
    console_services,
):
    signins = console_services.signins
    officer, _ = console_services.officers.add(YANGGAO, "officer", "throttled")
    signins.set_password(officer.officer_id, "throttled-one", PASSWORD)
    now = datetime(2026, 5, 1, 8, tzinfo=UTC)
    for i in range(5):
        with pytest.raises(SignInRefused):
            signins.sign_in("throttled-one", "wrong", "", "10.9.9.9", now + timedelta(seconds=i))
    with pytest.raises(TooManyAttempts) as refused:
        signins.sign_in("throttled-one", PASSWORD, "", "10.9.9.9", now + timedelta(seconds=10))
    assert refused.value.seconds == 24
    assert signins.failures("throttled-one") == 6  # the refused attempt is recorded too
    # Once the wait is over, the right password works again.
    value, session = signins.sign_in(
        "throttled-one", PASSWORD, "", "10.9.9.9", now + timedelta(minutes=20)
    )
    assert session.officer.officer_id == officer.officer_id


def test_a_form_without_the_csrf_token_is_refused(console_app, client_for):
    client = client_for("officer", YANGGAO)
    answer = client.post("/leads/new", data={"summary": "x", "source": "tip_off"})
    assert answer.status_code == 403
    answer = client.post("/logout", data={"csrf": "forged"})
    assert answer.status_code == 403
    assert client.get("/workspace").status_code == 200


def test_sign_out_ends_the_session_on_the_server(console_app, client_for):
    client = client_for("officer", YANGGAO)
    page = client.get("/workspace")
    stolen = client.cookies.get("jc_session")
    answer = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 303
    other = new_client(console_app)
    other.cookies.set("jc_session", stolen)
    assert other.get("/workspace").status_code == 303


def test_totp_once_turned_on_is_needed_to_sign_in(console_app, console_services):
    officer, _ = console_services.officers.add(YANGGAO, "officer", "with totp")
    console_services.signins.set_password(officer.officer_id, "totp-user", PASSWORD)
    from tests.console.conftest import Person

    person = Person("totp-user", officer.officer_id, YANGGAO, "officer")
    client = new_client(console_app)
    sign_in(client, person)
    page = client.get("/account")
    client.post("/account/totp", data={"csrf": csrf_of(page.text)})
    secret = console_services.signins.pending_totp(officer.officer_id)
    page = client.get("/account")
    assert secret in page.text
    answer = client.post(
        "/account/totp/confirm",
        data={"csrf": csrf_of(page.text), "code": pyotp.TOTP(secret).now()},
    )
    assert answer.status_code == 303
    fresh = new_client(console_app)
    assert sign_in(fresh, person).status_code == 401
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000:06d}"
    assert sign_in(fresh, person, code=wrong).status_code == 401
    assert sign_in(fresh, person, code=pyotp.TOTP(secret).now()).status_code == 303
    stored, pending = _stored_totp(console_services, officer.officer_id)
    assert pending is None
    assert secret not in stored and secret.lower() not in stored.lower()


def _stored_totp(services, officer_id):
    with services.signins.pool.connection() as conn:
        return conn.execute(
            "SELECT totp_secret, totp_pending FROM jointcase_officers WHERE officer_id = %s",
            (officer_id,),
        ).fetchone()


def test_a_totp_secret_stored_in_the_clear_still_works_and_is_sealed(
    console_app, console_services, console_settings
):
    """Rows written before secrets were sealed: `db init` seals them, and one it has not seen
    yet is still accepted and sealed on its first use."""
    from jointcase.storage import init_database
    from tests.console.conftest import Person

    people = []
    for name in ("plain-a", "plain-b"):
        officer, _ = console_services.officers.add(YANGGAO, "officer", name)
        console_services.signins.set_password(officer.officer_id, name, PASSWORD)
        secret = pyotp.random_base32()
        with console_services.signins.pool.connection() as conn:
            conn.execute(
                "UPDATE jointcase_officers SET totp_secret = %s WHERE officer_id = %s",
                (secret, officer.officer_id),
            )
        people.append((Person(name, officer.officer_id, YANGGAO, "officer"), secret))
    (first, first_secret), (second, second_secret) = people
    client = new_client(console_app)
    assert sign_in(client, first).status_code == 401
    assert sign_in(client, first, code=pyotp.TOTP(first_secret).now()).status_code == 303
    assert first_secret not in _stored_totp(console_services, first.officer_id)[0]

    init_database(console_settings)[0].close()
    assert second_secret not in _stored_totp(console_services, second.officer_id)[0]
    fresh = new_client(console_app)
    assert sign_in(fresh, second, code=pyotp.TOTP(second_secret).now()).status_code == 303


def test_english_is_available(console_app, client_for):
    client = client_for("officer", YANGGAO)
    page = client.get("/workspace")
    answer = client.post(
        "/language", data={"csrf": csrf_of(page.text), "lang": "en", "next": "/workspace"}
    )
    assert answer.status_code == 303
    page = client.get("/workspace")
    assert "Workspace" in page.text and 'lang="en"' in page.text


def test_docs_and_redoc_load_only_local_assets(console_app):
    client = new_client(console_app)
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert "/static/vendor/" in page.text
        assert "cdn" not in page.text.lower() and "googleapis" not in page.text
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/redoc/redoc.standalone.js").status_code == 200
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
