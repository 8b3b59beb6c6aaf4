"""A county's staff, managed by its administrator: add an officer (with a sign-in for the
console), reset a password, revoke. The rule of who may is `domain.access.require_officer_manager`;
an officer of another county is not found (the same as an unknown id). Used by the API
(`/v1/officers`), the console's admin pages and, without an actor, the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from domain.access import require_officer_manager
from domain.errors import InvalidInput, NotFound
from domain.values import Actor, Role
from jointcase.officers import Officer, OfficerStore
from jointcase.signin import SignIns, check_password_rules


@dataclass
class Staff:
    officers: OfficerStore
    signins: SignIns

    def _own(self, actor: Actor, officer_id: str) -> Officer:
        officer = self.signins.officer(officer_id)
        if officer is None or officer.county != actor.county:
            raise NotFound(f"no officer {officer_id}")
        require_officer_manager(actor, officer.county)
        return officer

    def list(self, actor: Actor, include_revoked: bool = False) -> list[tuple[Officer, str | None]]:
        """The county's officers with their login names."""
        require_officer_manager(actor, actor.county)
        logins = self.signins.logins(actor.county)
        return [
            (o, (logins.get(o.officer_id) or {}).get("login"))
            for o in self.officers.list(include_revoked=include_revoked)
            if o.county == actor.county
        ]

    def add(
        self,
        actor: Actor | None,
        county: str,
        role: Role | str,
        name: str,
        login: str | None = None,
        password: str | None = None,
    ) -> tuple[Officer, str]:
        """A new officer of the county and its API token (shown once); with a login name and a
        password, also a sign-in for the console. Without an actor: the CLI (the operator)."""
        if actor is not None:
            require_officer_manager(actor, county)
        if (login is None) != (password is None):
            raise InvalidInput("a sign-in needs both a login name and a password")
        if password is not None:
            check_password_rules(password)
        officer, token = self.officers.add(county, role, name)
        if login is not None and password is not None:
            try:
                self.signins.set_password(officer.officer_id, login, password)
            except InvalidInput:
                self.officers.revoke(officer.officer_id)  # no half-made officer stays active
                raise
        return officer, token

    def set_password(
        self, actor: Actor | None, officer_id: str, login: str, password: str
    ) -> Officer:
        """Set or reset an officer's login name and password; its sessions end."""
        if actor is not None:
            self._own(actor, officer_id)
        return self.signins.set_password(officer_id, login, password)

    def revoke(self, actor: Actor | None, officer_id: str) -> Officer:
        """Revoke the officer's token and end every session of it, at once."""
        if actor is not None:
            self._own(actor, officer_id)
        officer = self.officers.revoke(officer_id)
        self.signins.end_sessions(officer_id)
        return officer
