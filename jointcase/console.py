"""What every `jointcase` command shares: reading the settings, opening the application and its
read models, and failing with a plain message."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from jointcase.settings import Settings

if TYPE_CHECKING:
    from projections.registry import Views
    from service.app import JointCaseApp


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except Exception as e:  # pydantic ValidationError: show it plainly
        fail(f"invalid settings: {e}")
        raise


def open_app_and_views(settings: Settings) -> tuple[JointCaseApp, Views]:
    """The application and its read models, once `jointcase db init` has created the tables."""
    from jointcase.storage import build_app, library_env, resolve_database, tables_exist
    from projections.registry import build_views

    db = resolve_database(settings)
    if not tables_exist(db):
        fail("the tables do not exist yet: run `jointcase db init` first")
    return build_app(settings, db=db), build_views(library_env(settings, db))
