"""`jointcase officers ...`: issue, list, revoke and rotate officers' API tokens. A token is
shown once; rotating gives the same officer (the same id, so the same person in every recorded
duty) a new one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from domain.errors import DomainError
from jointcase.console import fail
from jointcase.console import load_settings as _settings
from jointcase.officers import RevocationUnconfirmed
from jointcase.settings import Settings
from jointcase.storage import ConfigurationError, init_database, resolve_database, tables_exist

if TYPE_CHECKING:
    from jointcase.officers import OfficerStore
    from jointcase.staff import Staff

officers_app = typer.Typer(help="Officers and their API tokens.", no_args_is_help=True)


def _officer_store(settings: Settings):  # type: ignore[no-untyped-def]
    from jointcase.officers import OfficerStore
    from jointcase.storage import open_pool, token_pepper

    db = resolve_database(settings)
    if not tables_exist(db):
        fail("the tables do not exist yet: run `jointcase db init` first")
    return OfficerStore(
        open_pool(db, size=1), token_pepper(settings, db), settings.token_lifetime()
    )


@officers_app.command("add")
def officers_add(
    county: Annotated[str, typer.Option(help="Six-digit unit code, e.g. 140221.")],
    role: Annotated[str, typer.Option(help="officer, liaison, auditor, committee or admin.")],
    name: Annotated[str, typer.Option(help="The officer's name.")],
    login: Annotated[
        str | None,
        typer.Option(help="Also a console sign-in with this login name (asks for a password)."),
    ] = None,
) -> None:
    """Issue an officer a token (shown once, stored only as a hash); with --login, also a
    sign-in for the console (the password is asked for, never an argument)."""
    password = _ask_password() if login else None
    settings = _settings()
    try:
        if settings.uses_server is False:
            init_database(settings)
        store = _officer_store(settings)
        from jointcase.storage import build_app

        build_app(settings).check_county(county)
        officer, token = _staff(store, settings).add(None, county, role, name, login, password)
    except (ConfigurationError, DomainError) as e:
        fail(str(e))
        return
    typer.echo(f"officer {officer.officer_id} ({officer.name}, {officer.county}, {officer.role})")
    typer.echo(f"token (shown once): {token}")
    if login:
        typer.echo(f"console sign-in: {login.strip().lower()}")


def _ask_password() -> str:
    """The password from standard input when it is not a terminal (scripts), else a prompt."""
    import sys

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


def _staff(store: OfficerStore, settings: Settings) -> Staff:
    from jointcase.signin import SignIns
    from jointcase.staff import Staff
    from jointcase.storage import informant_cipher

    return Staff(store, SignIns(store.pool, informant_cipher(settings, resolve_database(settings))))


@officers_app.command("password")
def officers_password(
    officer_id: str,
    login: Annotated[str, typer.Option(help="The login name for the console.")],
) -> None:
    """Set or reset an officer's console sign-in (login name and password, asked for, or read
    from standard input); every session of the officer ends."""
    settings = _settings()
    password = _ask_password()
    try:
        officer = _staff(_officer_store(settings), settings).set_password(
            None, officer_id, login, password
        )
    except (ConfigurationError, DomainError) as e:
        fail(str(e))
        return
    typer.echo(
        f"console sign-in {login.strip().lower()} set for {officer.officer_id} ({officer.name})"
    )


@officers_app.command("list")
def officers_list(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked officers.")] = False,
) -> None:
    """List officers (never their tokens)."""
    settings = _settings()
    try:
        officers = _officer_store(settings).list(include_revoked=all_)
    except ConfigurationError as e:
        fail(str(e))
        return
    for o in officers:
        revoked = f"  revoked {o.revoked_at:%Y-%m-%d %H:%M}" if o.revoked_at else ""
        typer.echo(f"{o.officer_id}\t{o.county}\t{o.role}\t{o.name}{revoked}")
    if not officers:
        typer.echo(
            "no officers yet: `jointcase officers add --county CODE --role ROLE --name NAME`"
        )


@officers_app.command("revoke")
def officers_revoke(officer_id: str) -> None:
    """Revoke an officer's token at once."""
    settings = _settings()
    try:
        officer = _staff(_officer_store(settings), settings).revoke(None, officer_id)
    except RevocationUnconfirmed as e:
        fail(f"recorded, but {e}")
        return
    except (ConfigurationError, DomainError) as e:
        fail(str(e))
        return
    typer.echo(f"revoked {officer.officer_id} ({officer.name})")


@officers_app.command("rotate")
def officers_rotate(officer_id: str) -> None:
    """Issue an officer a new token (shown once); the old one stops working at once. The
    officer keeps the same id, so every recorded duty stays with the same person."""
    settings = _settings()
    try:
        officer, token = _officer_store(settings).rotate(officer_id)
    except RevocationUnconfirmed as e:
        fail(f"recorded, but {e}")
        return
    except (ConfigurationError, DomainError) as e:
        fail(str(e))
        return
    typer.echo(f"officer {officer.officer_id} ({officer.name}, {officer.county}, {officer.role})")
    typer.echo(f"token (shown once): {token}")
