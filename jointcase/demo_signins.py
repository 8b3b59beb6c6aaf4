"""Sign-ins for the demo's people, so a newcomer can click through the cooperation in the
console as the very officers the demo recorded (the same officer ids, so the same duties):
one officer in each of the six units, and an auditor, a committee member and an administrator.
Each run gives them new random passwords (printed once); the demo is for trying, not serving."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from domain.values import Role
from jointcase.staff import Staff

#: The officers `jointcase.demo` records as (its actors are `login@county`).
DEMO_OFFICERS = {
    "150924": ("wang.jicha", "王稽查"),
    "140221": ("li.dajia", "李大佳"),
    "140222": ("zhao.shichang", "赵市场"),
    "130725": ("liu.jicha", "刘稽查"),
    "130728": ("chen.jicha", "陈稽查"),
    "130708": ("sun.wuliu", "孙物流"),
}
OTHERS = (
    ("demo.auditor", "140221", Role.AUDITOR, "审计演示"),
    ("demo.committee", "140222", Role.COMMITTEE, "委员会演示"),
    ("demo.admin", "140221", Role.ADMIN, "管理员演示"),
)


@dataclass(frozen=True)
class DemoSignIn:
    login: str
    password: str
    county: str
    role: str
    officer_id: str


def demo_sign_ins(staff: Staff) -> list[DemoSignIn]:
    people = [
        (login, county, Role.OFFICER, name) for county, (login, name) in DEMO_OFFICERS.items()
    ]
    made = []
    for login, county, role, name in [*people, *OTHERS]:
        officer_id = f"{login}@{county}"
        if staff.signins.officer(officer_id) is None:
            staff.officers.add(county, role, name, officer_id=officer_id)
        password = secrets.token_urlsafe(9)
        staff.set_password(None, officer_id, login, password)
        made.append(DemoSignIn(login, password, county, str(role), officer_id))
    return made
