"""What every command of the command line shares: settings read once, failures said plainly."""

from __future__ import annotations

import typer

from jointcase.settings import Settings
from jointcase.storage import resolve_database, tables_exist


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as e:  # pydantic ValidationError: show it plainly
        fail(f"invalid settings: {e}")
        raise


def _views(settings: Settings):  # type: ignore[no-untyped-def]
    from jointcase.storage import build_app, library_env
    from projections.registry import build_views

    db = resolve_database(settings)
    if not tables_exist(db):
        fail("the tables do not exist yet: run `jointcase db init` first")
    return build_app(settings, db=db), build_views(library_env(settings, db))
