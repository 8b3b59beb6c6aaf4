"""Administrators' and auditors' pages, the staff API (/v1/officers) and the CLI's sign-ins."""

from __future__ import annotations

import re

from tests.console.conftest import (
    PASSWORD,
    SHANGYI,
    YANGGAO,
    Person,
    csrf_of,
    new_client,
    sign_in,
)
from tests.console.test_officer_pages import post, register_lead


def test_an_admin_adds_an_officer_who_then_signs_in_and_is_revoked(console_app, client_for):
    admin = client_for("admin", YANGGAO)
    page = admin.get("/admin/officers")
    assert page.status_code == 200 and "officer-140221" in page.text
    assert "officer-130725" not in page.text  # only its own county's officers
    answer = admin.post(
        "/admin/officers/new",
        data={
            "csrf": csrf_of(page.text),
            "name": "赵六",
            "role": "officer",
            "login": "zhao.liu",
            "password": "a long enough password",
        },
    )
    assert answer.status_code == 201
    assert "jc_" in answer.text  # the token, shown once
    officer_id = re.search(r"(140221-[0-9a-f]{8})\uff09", answer.text).group(1)  # full-width )
    person = Person("zhao.liu", officer_id, YANGGAO, "officer")
    newcomer = new_client(console_app)
    assert sign_in(newcomer, person, password="a long enough password").status_code == 303
    assert newcomer.get("/workspace").status_code == 200
    answer = post(admin, "/admin/officers", f"/admin/officers/{officer_id}/revoke", {})
    assert answer.status_code == 303
    assert newcomer.get("/workspace").status_code == 303  # the session ended at once


def test_a_short_password_is_refused_next_to_the_form(client_for):
    admin = client_for("admin", YANGGAO)
    answer = post(
        admin,
        "/admin/officers",
        "/admin/officers/new",
        {"name": "短密码", "role": "officer", "login": "short.pw", "password": "short"},
    )
    assert answer.status_code == 422 and 'class="error"' in answer.text


def test_a_liaison_with_a_bad_date_is_refused_keeping_what_was_typed_then_designated(client_for):
    admin = client_for("admin", YANGGAO)
    typed = {"name": "钱七", "phone": "0352-5550999", "email": "qian@yanggao.example"}
    answer = post(admin, "/admin/liaisons", "/admin/liaisons", {**typed, "since": "2026-13-40"})
    assert answer.status_code == 422 and 'class="error"' in answer.text
    assert "0352-5550999" in answer.text  # shown again, to be corrected
    assert "钱七" not in admin.get("/admin/liaisons").text  # nothing designated
    answer = post(admin, "/admin/liaisons", "/admin/liaisons", {**typed, "since": "2026-02-01"})
    assert answer.status_code == 303
    assert "钱七" in admin.get("/admin/liaisons").text


def test_a_password_reset_too_short_is_refused_next_to_its_form(client_for, people):
    admin = client_for("admin", YANGGAO)
    own = people["officer", YANGGAO].officer_id
    answer = _reset_password(admin, own, "reset.short", "short")
    assert answer.status_code == 422 and 'class="error"' in answer.text


def test_an_admin_cannot_touch_another_countys_officer(client_for, people):
    admin = client_for("admin", YANGGAO)
    other = people["officer", SHANGYI].officer_id
    answer = _reset_password(admin, other, "hijack", "another long password")
    assert answer.status_code == 404  # the same as an officer that does not exist
    assert "hijack" not in admin.get("/admin/officers").text


def _reset_password(admin, officer_id: str, login: str, password: str):
    return post(
        admin,
        "/admin/officers",
        f"/admin/officers/{officer_id}/password",
        {"login": login, "password": password},
    )


def test_officers_and_auditors_do_not_reach_the_admin_pages(client_for):
    assert client_for("officer", YANGGAO).get("/admin/officers").status_code == 403
    assert client_for("auditor", YANGGAO).get("/admin/officers").status_code == 403


def test_the_staff_api_for_administrators(console_app, console_services):
    client = new_client(console_app)
    _, admin_token = console_services.officers.add(YANGGAO, "admin", "api admin")
    _, officer_token = console_services.officers.add(YANGGAO, "officer", "api officer")
    admin = {"Authorization": f"Bearer {admin_token}"}
    answer = client.post(
        "/v1/officers",
        json={"name": "钱七", "role": "officer", "login": "qian.qi", "password": PASSWORD},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (
        body["county"] == YANGGAO and body["login"] == "qian.qi" and body["token"].startswith("jc_")
    )
    listed = client.get("/v1/officers", headers=admin).json()["items"]
    assert {"qian.qi"} <= {o["login"] for o in listed}
    assert all(o["county"] == YANGGAO for o in listed)
    refused = client.get("/v1/officers", headers={"Authorization": f"Bearer {officer_token}"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    reset = client.put(
        f"/v1/officers/{body['officer_id']}/password",
        json={"login": "qian.qi", "password": "a brand new password"},
        headers=admin,
    )
    assert reset.status_code == 200
    person = Person("qian.qi", body["officer_id"], YANGGAO, "officer")
    assert sign_in(new_client(console_app), person).status_code == 401
    assert sign_in(new_client(console_app), person, "a brand new password").status_code == 303


def test_an_auditor_reads_the_event_log_a_record_as_it_was_and_verifies(client_for):
    officer = client_for("officer", YANGGAO)
    lead_id = register_lead(officer, "审计可见的线索")
    lead_page = f"/leads/{lead_id}"
    post(officer, lead_page, f"{lead_page}/refer", {"to_county": SHANGYI, "reason": "核查"})
    auditor = client_for("auditor", YANGGAO)
    log = auditor.get("/audit/events")
    assert log.status_code == 200 and "登记" in log.text
    then = auditor.get("/audit/records", params={"kind": "lead", "record": lead_id, "version": "1"})
    assert then.status_code == 200
    assert re.search(r'id="shown-version">1<', then.text)
    now = auditor.get("/audit/records", params={"kind": "lead", "record": lead_id})
    assert re.search(r'id="shown-version">2<', now.text)
    verified = auditor.get("/audit/verify")
    assert verified.status_code == 200 and "完整" in verified.text
    # Not for officers: the same rule as the API's audit routes.
    assert officer.get("/audit/verify").status_code == 403


def test_demo_sign_ins_act_as_the_officers_the_demo_recorded(console_app, console_services):
    from jointcase.demo import run_demo
    from jointcase.demo_signins import demo_sign_ins

    result = run_demo(console_services.app, say=lambda _: None)
    made = {p.login: p for p in demo_sign_ins(console_services.staff)}
    assert len(made) == 9 and {p.county for p in made.values()} >= {
        "150924",
        "140221",
        "140222",
        "130725",
        "130728",
        "130708",
    }
    li = made["li.dajia"]
    client = new_client(console_app)
    assert (
        sign_in(
            client, Person(li.login, li.officer_id, li.county, li.role), li.password
        ).status_code
        == 303
    )
    cases = client.get("/cases", params={"q": result.cases[0]})
    assert result.cases[0] in cases.text  # the demo's Yanggao case, seen as its officer
    # A second run gives new passwords to the same people.
    again = {p.login: p for p in demo_sign_ins(console_services.staff)}
    assert (
        again["li.dajia"].officer_id == li.officer_id and again["li.dajia"].password != li.password
    )
