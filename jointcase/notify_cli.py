"""`jointcase notify ...`: a county's webhooks and e-mail addresses, and what was delivered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer

from domain.errors import DomainError
from jointcase.console import fail
from jointcase.console import load_settings as _settings
from jointcase.notifications import NotificationStore
from jointcase.storage import ConfigurationError, resolve_database, tables_exist

notify_app = typer.Typer(
    help="Notifications: each county's webhooks and e-mail addresses, and the deliveries.",
    no_args_is_help=True,
)


def _store() -> NotificationStore:
    from jointcase.notifications import build_store
    from jointcase.storage import open_pool, token_pepper

    settings = _settings()
    try:
        db = resolve_database(settings)
        if not tables_exist(db):
            fail("the tables do not exist yet: run `jointcase db init` first")
        return build_store(settings, open_pool(db, size=1), token_pepper(settings, db))
    except ConfigurationError as e:
        fail(str(e))
        raise  # unreachable: fail exits


@notify_app.command("add")
def notify_add(
    county: Annotated[str, typer.Option(help="Six-digit unit code, e.g. 140221.")],
    channel: Annotated[str, typer.Option(help="webhook or email.")],
    address: Annotated[str, typer.Argument(help="The webhook's URL or the e-mail address.")],
) -> None:
    """Add a webhook or an e-mail address for a county. A webhook's signing secret is shown once."""
    store = _store()
    try:
        from jointcase.storage import build_app

        build_app(_settings()).check_county(county)
        target, secret = store.add_target_for(county, channel, address, "cli", datetime.now(UTC))
    except (DomainError, ConfigurationError) as e:
        fail(str(e))
        return
    finally:
        store.pool.close()
    typer.echo(f"{target.id}  {county}  {channel}  {target.address}")
    if secret:
        typer.echo(f"signing secret (shown once): {secret}")


@notify_app.command("list")
def notify_list(
    county: Annotated[str | None, typer.Option(help="Only this county.")] = None,
) -> None:
    """The webhooks and e-mail addresses in use."""
    store = _store()
    try:
        for t in store.targets_of(county):
            typer.echo(f"{t.id}  {t.county}  {t.channel:<7}  {t.address}  (added by {t.added_by})")
    finally:
        store.pool.close()


@notify_app.command("remove")
def notify_remove(target_id: Annotated[UUID, typer.Argument(help="The target's id.")]) -> None:
    """Remove a webhook or an address; its pending deliveries are cancelled."""
    store = _store()
    try:
        store.remove_target_of(None, target_id, datetime.now(UTC))
    except DomainError as e:
        fail(str(e))
    finally:
        store.pool.close()
    typer.echo(f"removed {target_id}")


@notify_app.command("deliveries")
def notify_deliveries(
    county: Annotated[str | None, typer.Option(help="Only this county's targets.")] = None,
    state: Annotated[str | None, typer.Option(help="pending, sent, failed or cancelled.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
) -> None:
    """Recent deliveries, newest first, with their state, attempts and last error."""
    store = _store()
    try:
        rows = store.deliveries_of(county, state=state, limit=limit)
    except DomainError as e:
        fail(str(e))
        return
    finally:
        store.pool.close()
    for d in rows:
        error = f"  error: {d['last_error']}" if d["last_error"] else ""
        typer.echo(
            f"{d['id']:>6}  {d['state']:<9} attempts {d['attempts']}  {d['channel']} "
            f"{d['address']}  {d['kind']} {d['item_kind']}{error}"
        )
