"""The `jointcase` command line: set up the database, run the demo, serve the API, manage officers."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from domain.errors import DomainError
from jointcase.settings import Settings
from jointcase.storage import ConfigurationError, init_database, resolve_database, tables_exist

app = typer.Typer(
    help="jointcase: cross-county case coordination for tobacco monopoly bureaus.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database set-up.", no_args_is_help=True)
keys_app = typer.Typer(help="Secrets.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as e:  # pydantic ValidationError: show it plainly
        fail(f"invalid settings: {e}")
        raise


@db_app.command("init")
def db_init() -> None:
    """Create the tables (once, before any worker starts) and seed the default six units."""
    settings = _settings()
    try:
        _, added = init_database(settings)
        db = resolve_database(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    where = (
        f"embedded PostgreSQL in {settings.data_dir}"
        if db.embedded
        else f"{db.host}:{db.port}/{db.dbname}"
    )
    typer.echo(f"tables ready on {where}; {added} default unit(s) added")


@db_app.command("info")
def db_info() -> None:
    """Show which database is used and whether its tables exist."""
    settings = _settings()
    try:
        db = resolve_database(settings)
    except ConfigurationError as e:
        fail(str(e))
        return
    kind = "embedded" if db.embedded else "server"
    typer.echo(f"{kind}: host={db.host} port={db.port} dbname={db.dbname} user={db.user}")
    typer.echo(f"tables: {'present' if tables_exist(db) else 'missing (run `jointcase db init`)'}")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random key for JOINTCASE_INFORMANT_KEY."""
    from domain.informants import InformantCipher

    typer.echo(InformantCipher.generate_key_text())


@app.command()
def demo(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")] = False,
) -> None:
    """Record a realistic scenario across the six units (creates the tables if needed)."""
    from jointcase.demo import run_demo

    settings = _settings()
    try:
        app_, _ = init_database(settings)
        result = run_demo(app_, say=(lambda _: None) if quiet else typer.echo)
    except (ConfigurationError, DomainError) as e:
        fail(str(e))
        return
    typer.echo(
        f"demo recorded {result.events} events for {result.leads} leads and cases "
        f"{', '.join(result.cases)}; last log position {result.last_position}"
    )


def main() -> None:  # pragma: no cover - entry point
    sys.exit(app())
