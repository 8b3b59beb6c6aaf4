"""What every `jointcase` command shares: reading the settings and failing with a message."""

from __future__ import annotations

import typer

from jointcase.settings import Settings


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except Exception as e:  # pydantic ValidationError: show it plainly
        fail(f"invalid settings: {e}")
        raise
