"""A throw-away PostgreSQL database for a test session: on the server named by
JOINTCASE_TEST_DATABASE_URL (default: the local server on 127.0.0.1:5432), or, when no server
answers, on an embedded PostgreSQL in a temporary folder. Dropped at the end."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from domain.chain import ChainSigner
from domain.informants import InformantCipher
from jointcase.settings import Settings

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _server_admin_url() -> str | None:
    url = os.environ.get("JOINTCASE_TEST_DATABASE_URL", DEFAULT_ADMIN_URL)
    try:
        with psycopg.connect(url, connect_timeout=3):
            return url
    except psycopg.OperationalError:
        return None


@contextmanager
def scratch_database(prefix: str = "jointcase_test") -> Iterator[Settings]:
    """Settings for a brand-new, empty database that is dropped afterwards."""
    admin_url = _server_admin_url()
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if admin_url is None:
        from jointcase.storage import resolve_database

        tmp = tempfile.TemporaryDirectory(prefix="jointcase-pg-")
        db = resolve_database(Settings(data_dir=Path(tmp.name)))
        admin_url = db.conninfo("postgres")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = conninfo_to_dict(admin_url)
    params["dbname"] = name
    settings = Settings(
        database_url=_as_url(params),
        informant_key=InformantCipher.generate_key_text(),
        chain_key=ChainSigner.generate_key_text(),
        data_dir=Path(tmp.name) if tmp else Path(tempfile.gettempdir()) / "jointcase-unused",
    )
    try:
        yield settings
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if tmp is not None:
            tmp.cleanup()


def _as_url(params: dict[str, str]) -> str:
    user = params.get("user", "postgres")
    password = params.get("password")
    auth = f"{user}:{password}" if password else user
    host = params.get("host", "127.0.0.1")
    port = params.get("port", "5432")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{params['dbname']}?host={host}&port={port}"
    return f"postgresql://{auth}@{host}:{port}/{params['dbname']}"


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that give a child process these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "JOINTCASE_"))}
    env.pop("DATABASE_URL", None)
    env["DATABASE_URL"] = settings.database_url or ""
    if settings.informant_key is not None:
        env["JOINTCASE_INFORMANT_KEY"] = settings.informant_key.get_secret_value()
    if settings.chain_key is not None:
        env["JOINTCASE_CHAIN_KEY"] = settings.chain_key.get_secret_value()
    if settings.token_pepper is not None:
        env["JOINTCASE_TOKEN_PEPPER"] = settings.token_pepper.get_secret_value()
    env["JOINTCASE_DATA_DIR"] = str(settings.data_dir)
    return env
